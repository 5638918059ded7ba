/**
 * Users with `exactOptionalPropertyTypes` pass `{ timeoutMs: config.timeoutMs }` where the value
 * may be undefined; that compiles only if every optional property the package declares admits
 * `undefined`. Checked on the built declarations, which is what such a user's compiler reads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
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
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

describe('exactOptionalPropertyTypes', () => {
  it('every optional property of the public types admits undefined', () => {
    assertFreshBuild();
    const dist = join(PACKAGE_ROOT, 'dist');
    const declarations = readdirSync(dist).filter((f) => f.endsWith('.d.ts'));
    expect(declarations).toContain('index.d.ts');
    const offenders = declarations.flatMap((file) =>
      exactOnlyProperties(file, readFileSync(join(dist, file), 'utf8')).map((p) => `${file}: ${p}`),
    );
    expect(offenders).toEqual([]);
  });

  it('finds an optional property that leaves undefined out', () => {
    const text =
      'interface A { ok?: number | undefined; bad?: number; nested?: { deep?: () => void } | undefined }';

    expect(exactOnlyProperties('a.d.ts', text)).toEqual(['A.bad', 'A.deep']);
  });
});
