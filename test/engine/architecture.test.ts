import { readdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ENGINE = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/engine');

/** The sources of one engine directory (`.` is what both engines share). */
function sourcesOf(dir: string) {
  const root = resolve(ENGINE, dir);
  return readdirSync(root)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => ({ file: `${dir}/${f}`, text: readFileSync(resolve(root, f), 'utf8') }));
}

describe.each([
  ['the Immutable X engine', 'imx'],
  ['the zkEVM engine', 'zkevm'],
  ['what both engines share', '.'],
])('%s', (_name, dir) => {
  const sources = sourcesOf(dir);

  it('imports no HTTP library, adapter, client or CLI', () => {
    const imports = sources.flatMap(({ file, text }) =>
      [...text.matchAll(/from '([^']+)'/g)].map((m) => `${file}: ${m[1]}`),
    );
    expect(
      imports.filter((i) => /'?(node:)?https?$|axios|msw|\/(server|msw|cli|client)\//.test(i)),
    ).toEqual([]);
  });

  it('takes time and randomness only through the injected clock and id generator', () => {
    const offenders = sources.filter(({ text }) =>
      /Date\.now\(|setTimeout\(|setInterval\(|Math\.random\(|new Date\(\)/.test(text),
    );
    expect(offenders.map((s) => s.file)).toEqual([]);
  });
});
