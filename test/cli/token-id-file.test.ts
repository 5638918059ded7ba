/** `request --from-file`'s reader: ids one a line, streamed, every bound named in its error. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_FILE_TOKEN_IDS, readTokenIds } from '../../src/cli/commands.js';
import { InvalidRequestError } from '../../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'imx-ids-'));
const file = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('readTokenIds', () => {
  it('skips blank lines and # comments, trims, reads CRLF and a last line without a newline', async () => {
    const path = file('ids.txt', '# level-ups\r\n 1 \r\n\n2\n#3\n4');
    expect(await readTokenIds(path)).toEqual(['1', '2', '4']);
  });

  it('takes up to its limit of ids and refuses one more, naming the file', async () => {
    expect(MAX_FILE_TOKEN_IDS).toBe(1_000_000);
    const ids = '1\n2\n3\n';
    expect(await readTokenIds(file('max.txt', ids), 3)).toEqual(['1', '2', '3']);
    const over = file('over.txt', `${ids}# a comment is no id\n\n4\n`);
    const error = await readTokenIds(over, 3).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidRequestError);
    expect((error as Error).message).toBe(`${over} has more than 3 token ids; nothing requested`);
  });

  it('an endless run of blank lines ends too', async () => {
    const blank = file('blank.txt', '\n'.repeat(7));
    await expect(readTokenIds(blank, 3)).rejects.toThrow(
      `${blank} has more than 3 token ids; nothing requested`,
    );
  });

  it('a missing file is an InvalidRequestError naming it and the system code', async () => {
    const missing = join(dir, 'missing.txt');
    await expect(readTokenIds(missing)).rejects.toThrow(`Cannot read ${missing}: ENOENT`);
  });
});
