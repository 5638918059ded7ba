/**
 * A file's lines, streamed with a cap on each line, for the commands that read `--from-file`
 * (`zkevm push`'s JSON lines, `request`'s token ids): a huge file, `/dev/zero` or a file without
 * newlines fails fast with a message naming the line, never with an out-of-memory abort.
 */
import { createReadStream } from 'node:fs';
import { InvalidRequestError } from '../errors.js';

/** How {@link readFileLines} bounds what it holds, and what it says when a line is too long. */
export interface FileLinesOptions {
  /** The longest line held in memory, in bytes. */
  maxLineBytes: number;
  /** The error message for a longer line, given its number (from 1). */
  tooLong: (line: number) => string;
  /** Most lines read; past it, `tooMany` is thrown. Default: no limit. */
  maxLines?: number;
  /** The error message for a file with more than `maxLines` lines. */
  tooMany?: (maxLines: number) => string;
}

/**
 * The lines of a file, streamed: a line is held in memory only up to `maxLineBytes`, past which
 * it throws naming the line. `\r\n` and `\n` both end a line. A file that cannot be read throws
 * `InvalidRequestError` naming the path and the system's code.
 */
export async function* readFileLines(
  path: string,
  options: FileLinesOptions,
): AsyncGenerator<string> {
  const { maxLineBytes, maxLines = Number.POSITIVE_INFINITY } = options;
  const stream = createReadStream(path, { highWaterMark: 64 * 1024 });
  let parts: Buffer[] = [];
  let length = 0;
  let number = 1;
  const tooLong = () => new InvalidRequestError(options.tooLong(number));
  const next = (last: Buffer) => {
    if (number > maxLines) {
      throw new InvalidRequestError(
        options.tooMany?.(maxLines) ?? `${path} has more than ${maxLines} lines`,
      );
    }
    const text = Buffer.concat([...parts, last]).toString('utf8');
    parts = [];
    length = 0;
    return text.endsWith('\r') ? text.slice(0, -1) : text;
  };
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      let from = 0;
      for (let at = chunk.indexOf(10); at !== -1; at = chunk.indexOf(10, from)) {
        if (length + at - from > maxLineBytes) throw tooLong();
        yield next(chunk.subarray(from, at));
        number += 1;
        from = at + 1;
      }
      const rest = chunk.subarray(from);
      if (length + rest.length > maxLineBytes) throw tooLong();
      // A copy: the stream may reuse the chunk's memory.
      parts.push(Buffer.from(rest));
      length += rest.length;
    }
  } catch (error) {
    if (error instanceof InvalidRequestError) throw error;
    throw new InvalidRequestError(
      `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    );
  } finally {
    stream.destroy();
  }
  if (length > 0) yield next(Buffer.alloc(0));
}
