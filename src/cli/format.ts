/**
 * Plain-text output helpers for the CLI: lines, aligned tables, local times and the budget.
 * Every time a person reads is local time with the zone; `--json` keeps ISO 8601.
 */

/** Writes one line. */
export const write = (stream: NodeJS.WritableStream, text: string) => stream.write(`${text}\n`);

/** Renders rows as a left-aligned table with a header line. */
export function table(headers: string[], rows: (string | number | null)[][]): string {
  const cells = rows.map((row) => row.map((c) => (c === null ? '-' : String(c))));
  const widths = headers.map((h, i) =>
    Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)),
  );
  const line = (row: string[]) =>
    row
      .map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(headers), ...cells.map(line)].join('\n');
}

/**
 * `text` broken at spaces into lines of at most `columns` (a longer word keeps a line to
 * itself): a terminal would break it mid-word, a refresh id included. Unchanged without columns.
 */
export function wrapWords(text: string, columns: number | undefined): string {
  if (!columns || text.length <= columns) return text;
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line !== '' && line.length + 1 + word.length > columns) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  lines.push(line);
  return lines.join('\n');
}

/** A date in the machine's local time zone, e.g. `2026-11-24 15:00:00 (Europe/Paris)`. */
export function localTime(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(
    date.getMinutes(),
  )}:${pad(date.getSeconds())} (${zone})`;
}

/**
 * A time the API sent (ISO 8601) in local time, as {@link localTime}; null stays null (a `-` in
 * a table), and a string that is no date is shown as sent rather than as `NaN`.
 */
export function localTimeOf(iso: string | null): string | null {
  if (iso === null) return null;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : localTime(date);
}

/** The budget as both APIs report it: requests allowed per window, left, and the window's end. */
export interface BudgetLike {
  limit: number;
  remaining: number;
  resetAt: Date;
}

/** `5 of 6 refresh requests left; resets …` in local time, or `budget unknown`. */
export function budgetLine(rateLimit: BudgetLike | undefined): string {
  return rateLimit
    ? `${rateLimit.remaining} of ${rateLimit.limit} refresh requests left; resets ${localTime(rateLimit.resetAt)}`
    : 'budget unknown';
}
