/**
 * The fenced code blocks of a Markdown file, for tests that check a document's code (the README's
 * `ts` blocks are tested code).
 */

/** One fenced block. */
export interface CodeBlock {
  /** The fence's language (`ts`, `sh`, …; empty when none is given). */
  lang: string;
  /** The block's text, without the fences. */
  code: string;
  /** 1-based line in the document of the block's first line of code. */
  line: number;
  /** The nearest heading above the block (without its `#`s); empty above the first heading. */
  heading: string;
  /**
   * A name that survives edits elsewhere in the document: the heading without backticks and cut
   * before its first `(` (`requestRefresh` for `` `requestRefresh({ … })` ``), and `#n` for the
   * n-th block (n ≥ 2) under the same heading.
   */
  id: string;
}

/**
 * Every top-level fenced block (``` or ~~~, not indented) in document order. An unclosed fence
 * throws: the rest of the document would silently count as code.
 */
export function extractCodeBlocks(markdown: string): CodeBlock[] {
  const lines = markdown.split(/\r?\n/);
  const blocks: CodeBlock[] = [];
  const perHeading = new Map<string, number>();
  let heading = '';
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const open = /^(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
    if (!open) {
      const h = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
      if (h) heading = h[1] ?? '';
      continue;
    }
    const fence = open[1] ?? '```';
    const start = i + 1;
    let end = start;
    // A closing fence is the same character, at least as long, and nothing after it.
    while (end < lines.length && !isClosingFence(lines[end] ?? '', fence)) end++;
    if (end === lines.length) throw new Error(`Unclosed code fence at line ${i + 1}`);
    const name = heading.replaceAll('`', '').replace(/\(.*$/, '').trim();
    const n = (perHeading.get(name) ?? 0) + 1;
    perHeading.set(name, n);
    blocks.push({
      lang: open[2] ?? '',
      code: lines.slice(start, end).join('\n'),
      line: start + 1,
      heading,
      id: n === 1 ? name : `${name} #${n}`,
    });
    i = end;
  }
  return blocks;
}

function isClosingFence(line: string, fence: string): boolean {
  const m = /^(`{3,}|~{3,})\s*$/.exec(line);
  return m?.[1] !== undefined && m[1][0] === fence[0] && m[1].length >= fence.length;
}
