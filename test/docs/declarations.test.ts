/**
 * The public surface as a user's compiler and editor read it: the built declarations (dist/*.d.ts).
 * - Users with `exactOptionalPropertyTypes` pass `{ timeoutMs: config.timeoutMs }` where the value
 *   may be undefined; that compiles only if every optional property admits `undefined`.
 * - Every parameter object has a name a user can import (`…Options` for what configures a thing
 *   or a call, `…Parameters` for a call's one parameters object), never an inline type.
 * - Every public function and method says what it throws (`@throws`), or that it never does.
 *   Methods of interfaces count: those of what a factory returns (`ReferenceServer.listen`) say
 *   what a caller meets, those of what a user implements (`SchedulerStore`) what the package
 *   expects an implementation to throw.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { beforeAll, describe, expect, it } from 'vitest';
import { assertFreshBuild, PACKAGE_ROOT } from '../support/built-package.js';

/** `Type.property` of every optional property whose declared type leaves `undefined` out. */
function exactOnlyProperties(file: string, text: string): string[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const found: string[] = [];
  const ownerOf = (node: ts.Node): string => {
    for (let up = node.parent; up; up = up.parent) {
      if ((ts.isInterfaceDeclaration(up) || ts.isTypeAliasDeclaration(up)) && up.name) {
        return up.name.text;
      }
      if (ts.isClassDeclaration(up) && up.name) return up.name.text;
    }
    return '(anonymous)';
  };
  const visit = (node: ts.Node) => {
    if (
      (ts.isPropertySignature(node) || ts.isPropertyDeclaration(node)) &&
      node.questionToken &&
      node.type
    ) {
      const type = node.type;
      const admitsUndefined =
        type.kind === ts.SyntaxKind.UndefinedKeyword ||
        type.kind === ts.SyntaxKind.UnknownKeyword ||
        type.kind === ts.SyntaxKind.AnyKeyword ||
        (ts.isUnionTypeNode(type) &&
          type.types.some((t) => t.kind === ts.SyntaxKind.UndefinedKeyword));
      if (!admitsUndefined) found.push(`${ownerOf(node)}.${node.name.getText(source)}`);
    }
    // Partial<T> makes T's properties optional without adding undefined to their types.
    const named =
      ts.isTypeReferenceNode(node) && ts.isIdentifier(node.typeName)
        ? node.typeName.text
        : ts.isExpressionWithTypeArguments(node) && ts.isIdentifier(node.expression)
          ? node.expression.text
          : undefined;
    if (named === 'Partial') {
      found.push(`${ownerOf(node)}: ${node.getText(source)}`);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** What {@link undocumentedCallables} and {@link inlineParameterTypes} look at. */
interface Callable {
  name: string;
  node: ts.SignatureDeclarationBase;
  doc: string;
}

/**
 * The object types an interface or type alias declares: an interface's body; a type alias's
 * object type, also as a member of a union or intersection (`HeadersLike` is
 * `{ get(name) } | Record<…>`).
 */
function objectTypesOf(statement: ts.Statement): { owner: string; members: ts.TypeElement[] }[] {
  if (ts.isInterfaceDeclaration(statement)) {
    return [{ owner: statement.name.text, members: [...statement.members] }];
  }
  if (!ts.isTypeAliasDeclaration(statement)) return [];
  const owner = statement.name.text;
  const found: { owner: string; members: ts.TypeElement[] }[] = [];
  const visit = (type: ts.TypeNode) => {
    if (ts.isTypeLiteralNode(type)) found.push({ owner, members: [...type.members] });
    else if (ts.isUnionTypeNode(type) || ts.isIntersectionTypeNode(type)) type.types.forEach(visit);
    else if (ts.isParenthesizedTypeNode(type)) visit(type.type);
  };
  visit(statement.type);
  return found;
}

/**
 * A member of an object type that is called, as a signature: a method (`close(): Promise<void>`)
 * or call signature, or a required function-typed property (`close: () => Promise<void>`, a
 * method written as a property). An optional function-typed property (`onEvent?: ((e) => void) |
 * undefined`) is a callback the user hands over in options, not a method: left out.
 */
function signatureOf(member: ts.TypeElement): ts.SignatureDeclarationBase | undefined {
  if (ts.isMethodSignature(member) || ts.isCallSignatureDeclaration(member)) return member;
  if (!ts.isPropertySignature(member) || member.questionToken || !member.type) return undefined;
  let type = member.type;
  while (ts.isParenthesizedTypeNode(type)) type = type.type;
  return ts.isFunctionTypeNode(type) ? type : undefined;
}

/**
 * Exported functions; public methods and constructors of exported classes; and the methods of
 * interfaces and of object type aliases: what the public factories return (`ReferenceServer`) and
 * what users implement (`SchedulerStore`), whose implementations are not classes the declarations
 * show. (A bundled .d.ts holds only what the public surface reaches, so every interface in it is
 * public.) Constructors of error classes are left out (a user throws, not calls, them), and so are
 * the methods of a class that `implements` an interface: the interface documents them.
 */
function callables(file: string, text: string): Callable[] {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const docOf = (node: ts.Node) =>
    ts
      .getJSDocCommentsAndTags(node)
      .map((d) => d.getText(source))
      .join('\n');
  const found: Callable[] = [];
  for (const statement of source.statements) {
    if (ts.isFunctionDeclaration(statement) && statement.name) {
      found.push({ name: statement.name.text, node: statement, doc: docOf(statement) });
    }
    for (const { owner, members } of objectTypesOf(statement)) {
      for (const member of members) {
        const node = signatureOf(member);
        if (!node) continue;
        const name = `${owner}.${member.name?.getText(source) ?? '(call)'}`;
        found.push({ name, node, doc: docOf(member) });
      }
    }
    if (!ts.isClassDeclaration(statement) || !statement.name) continue;
    const className = statement.name.text;
    const implementsInterface = statement.heritageClauses?.some(
      (c) => c.token === ts.SyntaxKind.ImplementsKeyword,
    );
    for (const member of statement.members) {
      const hidden = ts
        .getModifiers(member as ts.HasModifiers)
        ?.some(
          (m) =>
            m.kind === ts.SyntaxKind.PrivateKeyword || m.kind === ts.SyntaxKind.ProtectedKeyword,
        );
      if (hidden) continue;
      if (ts.isConstructorDeclaration(member) && !className.endsWith('Error')) {
        found.push({ name: `new ${className}`, node: member, doc: docOf(member) });
      }
      if (ts.isMethodDeclaration(member) && !implementsInterface) {
        const name = `${className}.${member.name.getText(source)}`;
        found.push({ name, node: member, doc: docOf(member) });
      }
    }
  }
  return found;
}

/** `name(parameter)` of every parameter typed with an inline object type. */
function inlineParameterTypes(list: Callable[]): string[] {
  return list.flatMap(({ name, node }) =>
    node.parameters
      .filter((p) => p.type !== undefined && ts.isTypeLiteralNode(p.type))
      .map((p) => `${name}(${p.name.getText()})`),
  );
}

/** Names of callables whose documentation neither has `@throws` nor says it never throws. */
function undocumentedCallables(list: Callable[]): string[] {
  return list
    .filter(
      ({ doc }) => !/@throws|never (throws|rejects)/i.test(doc.replace(/\s*\n\s*\*\s*/g, ' ')),
    )
    .map(({ name }) => name);
}

function builtDeclarations(): { file: string; text: string }[] {
  assertFreshBuild();
  const dist = join(PACKAGE_ROOT, 'dist');
  const files = readdirSync(dist).filter((f) => f.endsWith('.d.ts'));
  expect(files).toContain('index.d.ts');
  return files.map((file) => ({ file, text: readFileSync(join(dist, file), 'utf8') }));
}

describe('the built declarations', () => {
  let declarations: { file: string; text: string }[] = [];
  beforeAll(() => {
    declarations = builtDeclarations();
  });

  it('every optional property of the public types admits undefined', () => {
    const offenders = declarations.flatMap(({ file, text }) =>
      exactOnlyProperties(file, text).map((p) => `${file}: ${p}`),
    );
    expect(offenders).toEqual([]);
  });

  it('every parameter of a public function or method has a named type', () => {
    const offenders = declarations.flatMap(({ file, text }) =>
      inlineParameterTypes(callables(file, text)).map((p) => `${file}: ${p}`),
    );
    expect(offenders).toEqual([]);
  });

  it('every public function and method documents what it throws', () => {
    const list = declarations.flatMap(({ file, text }) => callables(file, text));
    const names = list.map((c) => c.name);
    expect(names).toContain('MetadataRefreshClient.requestRefresh');
    // Interface methods are looked at: one a factory returns, one a user implements.
    expect(names).toContain('ReferenceServer.listen');
    expect(names).toContain('SchedulerStore.enqueue');
    expect(undocumentedCallables(list)).toEqual([]);
  });

  it('finds an optional property that leaves undefined out', () => {
    const text =
      'interface A { ok?: number | undefined; bad?: number; nested?: { deep?: () => void } | undefined }';

    expect(exactOnlyProperties('a.d.ts', text)).toEqual(['A.bad', 'A.deep']);
    expect(exactOnlyProperties('b.d.ts', 'interface B extends Partial<C> { x: string }')).toEqual([
      'B: Partial<C>',
    ]);
  });

  it('finds inline parameter types and missing @throws', () => {
    const text = [
      '/** Does a thing. */',
      'declare function a(options: { x?: number | undefined }): void;',
      '/** Never throws. */',
      'declare function b(options: BOptions): void;',
      'declare class C {',
      '  /** @throws {Error} always. */',
      '  m(): void;',
      '  n(): void;',
      '  private p(): void;',
      '}',
      'declare class D implements Iface { q(): void; }',
      'interface I {',
      '  /** Never rejects. */',
      '  ok(): Promise<void>;',
      '  undocumented(): void;',
      '  /** @throws {TypeError} a bad x. */',
      '  inline(parameters: { x: number }): void;',
      '  /** @throws {Error} on failure. */',
      '  documentedProperty: (x: number) => void;',
      '  undocumentedProperty: () => Promise<void>;',
      '  callback?: ((event: { type: string }) => void) | undefined;',
      '  data: number;',
      '}',
      'type T = { m(): void } | null;',
      'type U = Base & {',
      '  /** Never throws. */',
      '  n(): void;',
      '};',
    ].join('\n');
    const list = callables('a.d.ts', text);

    expect(inlineParameterTypes(list)).toEqual(['a(options)', 'I.inline(parameters)']);
    expect(undocumentedCallables(list)).toEqual([
      'a',
      'C.n',
      'I.undocumented',
      'I.undocumentedProperty',
      'T.m',
    ]);
  });
});
