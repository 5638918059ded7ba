// The API reports (etc/*.api.md): one a package entry, made by API Extractor from the built
// declarations in dist/ (run `npm run build` first).
//   node scripts/api-report.mjs          (npm run api)        rewrite the reports
//   node scripts/api-report.mjs --check  (npm run api:check)  fail when a report differs, or on
//                                                             any warning API Extractor raises
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Extractor, ExtractorConfig } from '@microsoft/api-extractor';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const check = process.argv.includes('--check');

// Each entry of package.json `exports` that has types: its name in the report and its dist file.
const ENTRIES = [
  { report: 'index', types: 'dist/index.d.ts' },
  { report: 'server', types: 'dist/server.d.ts' },
  { report: 'msw', types: 'dist/msw.d.ts' },
  { report: 'redis', types: 'dist/redis.d.ts' },
];

/** The names the built declarations of `file` export. */
function exportedNames(file) {
  const program = ts.createProgram([file], { noEmit: true, skipLibCheck: true });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(file));
  return new Set(module ? checker.getExportsOfModule(module).map((s) => s.name) : []);
}

for (const entry of ENTRIES) {
  if (!existsSync(`${root}${entry.types}`)) {
    console.error(`api-report: ${entry.types} is missing: run \`npm run build\` first`);
    process.exit(1);
  }
}
/** The newest modification time of any file under `dir`. */
function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}
const built = Math.min(...ENTRIES.map((entry) => statSync(`${root}${entry.types}`).mtimeMs));
if (built < newestMtime(`${root}src`)) {
  console.error('api-report: dist/ is older than src/: run `npm run build` first');
  process.exit(1);
}

const rootExports = exportedNames(`${root}dist/index.d.ts`);
const FORGOTTEN = /^The symbol "([^"]+)" needs to be exported/;

let failed = false;
let problems = 0;
for (const entry of ENTRIES) {
  const mainEntryPointFilePath = `${root}${entry.types}`;
  const configObjectFullPath = `${root}api-extractor.json`;
  const configObject = ExtractorConfig.loadFile(configObjectFullPath);
  configObject.mainEntryPointFilePath = mainEntryPointFilePath;
  configObject.apiReport = { ...configObject.apiReport, reportFileName: entry.report };
  const config = ExtractorConfig.prepare({
    configObject,
    configObjectFullPath,
    packageJsonFullPath: `${root}package.json`,
  });
  problems = 0;
  const result = Extractor.invoke(config, {
    localBuild: !check,
    messageCallback(message) {
      if (message.category !== 'console' && message.logLevel !== 'none') problems += 1;
      // Another entry may use a type of the root's (./redis: RedisStore extends SchedulerStore):
      // the user imports it from the root. Any other type an entry uses but exports nowhere fails.
      const symbol = FORGOTTEN.exec(message.text)?.[1];
      if (
        message.messageId === 'ae-forgotten-export' &&
        entry.report !== 'index' &&
        symbol !== undefined &&
        rootExports.has(symbol)
      ) {
        message.logLevel = 'none';
        problems -= 1;
      }
    },
  });
  if (check && result.apiReportChanged) {
    console.error(
      `api-report: etc/${entry.report}.api.md is not what the code exports: run \`npm run build && npm run api\`, read the diff, commit it`,
    );
    failed = true;
  } else if (!result.succeeded || problems > 0) {
    console.error(
      `api-report: ${entry.report}: ${problems} problems (above), fix them or configure them in api-extractor.json with a reason`,
    );
    failed = true;
  } else {
    console.log(
      `api-report: etc/${entry.report}.api.md ${result.apiReportChanged ? 'updated' : 'unchanged'}`,
    );
  }
}
process.exit(failed ? 1 : 0);
