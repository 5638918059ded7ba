// The README's code is tested code: every ```ts block is type-checked under `strict`, as its own
// ES module in a fresh nodenext project that installs the BUILT package by name (a symlink to
// this repository, so package.json's exports pick the files). A block shows its own imports: the
// only names the test declares are the ones a block takes from the prose around it (`client`,
// `collectionAddress`, …), each typed, in PRELUDES below, and none of them is a name the package
// or vitest exports.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertFreshBuild, PACKAGE_ROOT } from '../support/built-package.js';
import {
  type ConsumerProject,
  createConsumerProject,
  importedPackages,
} from '../support/consumer-project.js';
import { type CodeBlock, extractCodeBlocks } from '../support/markdown-code-blocks.js';

const blocks = extractCodeBlocks(readFileSync(join(PACKAGE_ROOT, 'README.md'), 'utf8')).filter(
  (b) => b.lang === 'ts',
);

/** A name from a block's surroundings: its type (`declare const`), or `{ let }` when assigned. */
type Declaration = string | { let: string };

const PKG = "import('imx-metadata-refresh')";
const CLIENT = `${PKG}.MetadataRefreshClient`;
const OPTIONS = `${PKG}.MetadataRefreshClientOptions`;
const WALLET = "import('ethers').Wallet";

/** Per block id (see CodeBlock.id), what the prose around it has already introduced. */
const PRELUDES: Record<string, Record<string, Declaration>> = {
  Quickstart: {},
  'Immutable X quickstart': {},
  // The options listing: each shorthand property stands for a value of that option's type.
  'The client': {
    signer: WALLET,
    environment: `${OPTIONS}['environment']`,
    baseURL: `${OPTIONS}['baseURL']`,
    axiosInstance: `${OPTIONS}['axiosInstance']`,
    clock: `${OPTIONS}['clock']`,
    onResponse: `${OPTIONS}['onResponse']`,
  },
  requestRefresh: { client: CLIENT, collectionAddress: 'string' },
  requestRefreshes: {
    client: CLIENT,
    collectionAddress: 'string',
    allIds: 'string[]',
    saveForLater: '(ids: readonly string[], resetAt: Date | undefined) => void',
  },
  getRefresh: { client: CLIENT, refreshId: 'string' },
  waitForRefresh: { client: CLIENT, refreshId: 'string' },
  getRefreshErrors: { client: CLIENT, refreshId: 'string' },
  listRefreshes: { client: CLIENT, collectionAddress: 'string' },
  'Resuming a long iteration': {
    client: CLIENT,
    refreshId: 'string',
    loadCursor: '() => Promise<string | undefined>',
    handle: `(error: ${PKG}.RefreshError) => Promise<void>`,
    saveCursor: '(cursor: string | undefined) => Promise<void>',
  },
  Errors: { client: CLIENT, collectionAddress: 'string', allIds: 'string[]' },
  'Errors #2': { client: CLIENT, collectionAddress: 'string', tokenIds: 'string[]' },
  'Testing code that uses the client': { fakeNow: { let: 'number' }, signer: WALLET },
  'Refreshing after every game event': {
    client: CLIENT,
    collectionAddress: 'string',
    tokenId: 'string',
  },
  'A fleet, with Redis': { client: CLIENT },
  'A fleet, with Redis #2': {},
  'Your own store': {},
  'Keeping zkEVM metadata current': {},
  'Repairing drift': {
    zk: `${PKG}.ZkEvmMetadataClient`,
    contractAddress: 'string',
    scheduler: `${PKG}.RefreshScheduler`,
    lastSync: { let: 'Date | undefined' },
  },
  'Mocking in your unit tests': {},
  'Mocking Immutable X in your unit tests': {},
  'Embedding the server in your integration tests': {
    wallet: WALLET,
    collection: 'string',
    fakeNow: { let: 'number' },
  },
  'A Metadata API for your tests': {},
};

// What a new user's strictest project would have, exactOptionalPropertyTypes included (every
// optional property the package declares admits undefined: test/docs/exact-optional.test.ts).
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    exactOptionalPropertyTypes: true,
    types: ['node'],
    skipLibCheck: true,
    noEmit: true,
  },
  include: ['*.ts'],
};

function fileName(block: CodeBlock): string {
  return `block-${String(blocks.indexOf(block) + 1).padStart(2, '0')}.ts`;
}

function preludeOf(block: CodeBlock): string[] {
  return Object.entries(PRELUDES[block.id] ?? {}).map(([name, d]) =>
    typeof d === 'string' ? `declare const ${name}: ${d};` : `declare let ${name}: ${d.let};`,
  );
}

let project: ConsumerProject | undefined;
let dir: string;
let program: ts.Program;
/** Per block, found in beforeAll: checking is the slow part, and beforeAll has the time for it. */
const diagnostics = new Map<CodeBlock, string[]>();

beforeAll(() => {
  assertFreshBuild();
  project = createConsumerProject([
    '@types/node',
    // The preludes' wallets are ethers Wallets: a reader who has one has installed ethers.
    'ethers',
    ...blocks.flatMap((block) => importedPackages(block.code)),
  ]);
  dir = project.dir;
  project.write('tsconfig.json', JSON.stringify(TSCONFIG, null, 2));
  for (const block of blocks)
    project.write(fileName(block), [...preludeOf(block), block.code].join('\n'));
  // Resolves the public names, to keep them out of the preludes.
  project.write(
    'public-names.ts',
    [
      'imx-metadata-refresh',
      'imx-metadata-refresh/server',
      'imx-metadata-refresh/msw',
      'imx-metadata-refresh/redis',
      'vitest',
    ]
      .map((spec, i) => `import * as m${i} from '${spec}';`)
      .join('\n'),
  );
  const config = ts.getParsedCommandLineOfConfigFile(join(dir, 'tsconfig.json'), undefined, {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    },
  });
  if (!config) throw new Error('tsconfig.json did not parse');
  program = ts.createProgram(config.fileNames, config.options);
  for (const block of blocks) diagnostics.set(block, diagnosticsOf(block));
}, 180_000);

afterAll(() => project?.remove());

/** The block's diagnostics as `README.md:line:column message`, lines counted in the README. */
function diagnosticsOf(block: CodeBlock): string[] {
  const source = program.getSourceFile(join(dir, fileName(block)));
  if (!source) throw new Error(`${fileName(block)} is not in the program`);
  const preludeLines = preludeOf(block).length;
  return ts.getPreEmitDiagnostics(program, source).map((d) => {
    const text = ts.flattenDiagnosticMessageText(d.messageText, ' ');
    if (d.file !== source || d.start === undefined) return `TS${d.code} ${text}`;
    const { line, character } = source.getLineAndCharacterOfPosition(d.start);
    const where =
      line < preludeLines
        ? `prelude of ${block.id}`
        : `README.md:${block.line + line - preludeLines}:${character + 1}`;
    return `${where} TS${d.code} ${text}`;
  });
}

describe('README ```ts blocks', () => {
  it('each has an entry in PRELUDES, and each entry a block', () => {
    const ids = blocks.map((b) => b.id);
    expect(ids.filter((id) => !(id in PRELUDES))).toEqual([]);
    expect(Object.keys(PRELUDES).filter((id) => !ids.includes(id))).toEqual([]);
  });

  it('take from the preludes no name the package or vitest exports: a block shows its imports', () => {
    const source = program.getSourceFile(join(dir, 'public-names.ts'));
    if (!source) throw new Error('public-names.ts is not in the program');
    const checker = program.getTypeChecker();
    const exported = new Set<string>();
    for (const statement of source.statements) {
      if (!ts.isImportDeclaration(statement)) continue;
      const module = checker.getSymbolAtLocation(statement.moduleSpecifier);
      if (!module) throw new Error(`${statement.moduleSpecifier.getText()} did not resolve`);
      for (const s of checker.getExportsOfModule(module)) exported.add(s.name);
    }
    expect(exported.has('MetadataRefreshClient') && exported.has('beforeAll')).toBe(true);
    const taken = Object.values(PRELUDES).flatMap((names) => Object.keys(names));
    expect(taken.filter((name) => exported.has(name))).toEqual([]);
  });

  it.each(blocks.map((b) => [b.id, b] as const))(
    '%s type-checks under strict against the built package',
    (_id, block) => {
      expect(diagnostics.get(block)).toEqual([]);
    },
  );
});
