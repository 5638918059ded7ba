/**
 * A small terminal model for pty tests: replays what a program wrote (text, CR/LF, the cursor
 * and erase sequences readline and cli-progress use, line wrap on/off) onto a screen of
 * `columns`, and counts every character that reached past the right edge, which a real
 * terminal either wraps onto a new line (garbage under a redrawn bar) or drops (wrap off).
 */
export interface Screen {
  /** The screen's lines, trailing spaces trimmed. */
  rows: string[];
  /** Characters written past the last column. */
  pastEdge: number;
}

export function replayOnScreen(output: string, columns: number): Screen {
  const grid: string[][] = [];
  let row = 0;
  let col = 0;
  let wrap = true;
  let saved = { row: 0, col: 0 };
  let pastEdge = 0;
  const line = (r: number) => {
    grid[r] ??= [];
    return grid[r];
  };
  const clear = (r: number, from: number, to: number) => {
    const cells = line(r);
    for (let c = from; c < Math.min(to, cells.length); c++) cells[c] = ' ';
  };
  for (let i = 0; i < output.length; i++) {
    const ch = output[i] as string;
    if (ch === '\x1b') {
      const next = output[i + 1];
      if (next === '7' || next === '8') {
        if (next === '7') saved = { row, col };
        else ({ row, col } = saved);
        i++;
        continue;
      }
      const csi = /^\[([?0-9;]*)([@-~])/.exec(output.slice(i + 1, i + 24));
      if (!csi) continue;
      i += csi[0].length;
      const [, params = '', final] = csi;
      const n = Number(params.replace('?', '') || 0);
      if (final === 'G') col = Math.max(0, n - 1);
      else if (final === 'K') {
        if (n === 0) clear(row, col, columns);
        else if (n === 1) clear(row, 0, col + 1);
        else clear(row, 0, columns);
      } else if (final === 'J') {
        clear(row, col, columns);
        grid.length = Math.min(grid.length, row + 1);
      } else if (final === 'A') row = Math.max(0, row - (n || 1));
      else if (final === 'B') row += n || 1;
      else if (final === 'C') col = Math.min(columns - 1, col + (n || 1));
      else if (final === 'D') col = Math.max(0, col - (n || 1));
      else if (params === '?7' && (final === 'h' || final === 'l')) wrap = final === 'h';
      continue;
    }
    if (ch === '\r') col = 0;
    else if (ch === '\n') row++;
    else if (ch === '\b') col = Math.max(0, col - 1);
    else if (ch >= ' ') {
      // A terminal defers the wrap until a character lands past the edge.
      if (col >= columns) {
        pastEdge++;
        if (wrap) {
          row++;
          col = 0;
        } else col = columns - 1;
      }
      line(row)[col++] = ch;
    }
  }
  const rows = Array.from({ length: grid.length }, (_, r) =>
    Array.from(grid[r] ?? [], (c) => c ?? ' ')
      .join('')
      .trimEnd(),
  );
  return { rows, pastEdge };
}
