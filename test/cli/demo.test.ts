import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { runDemo } from '../../src/cli/demo.js';

function capture() {
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  return { out, text: () => text };
}

describe('npm run demo:imx', () => {
  it('completes a refresh showing every outcome, then prints errors and the budget', async () => {
    const { out, text } = capture();
    // Margins that hold on a loaded 2-core machine: a fast answer well inside the limit, the slow
    // one well past it (it is retried once, so the test waits about 3 s for it).
    const refresh = await runDemo({
      out,
      fetchTimeoutMs: 1_500,
      slowMs: 4_000,
      pollIntervalMs: 20,
    });
    expect(refresh.status).toBe('completed');
    expect(refresh.summary).toEqual({ succeeded: 3, failed: 5, pending: 0 });
    const printed = text();
    expect(printed).toContain('Summary  3 succeeded, 5 failed, 0 pending');
    for (const [token, code] of [
      ['4', 'invalid_response_status_code'],
      ['5', 'unable_to_retrieve_metadata'],
      ['6', 'unable_to_decode_response'],
      ['7', 'unable_to_decode_response'],
      ['9', 'token_not_found'],
    ]) {
      expect(printed).toMatch(new RegExp(`token ${token}\\s+${code}`));
    }
    // Times in local time with the zone, as every command prints them.
    const local = String.raw`\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\S+\)`;
    expect(printed).toMatch(
      new RegExp(`Status {3}completed\nStarted {2}${local}\nDone {5}${local}\n`),
    );
    expect(printed).toMatch(new RegExp(`Budget {3}9 of 10 refresh requests left; resets ${local}`));
    // Not a TTY: plain progress lines instead of a bar.
    expect(printed).toMatch(/completed: 3 succeeded, 5 failed, 0 pending/);
  });
});
