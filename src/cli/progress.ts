/**
 * Progress bars that fit the terminal. While a bar runs, line wrap is off: a line wider than
 * the terminal is cut at its edge, and what it ends with (the counts) is lost. So each redraw
 * picks the most detailed text that fits the width it is drawn at (a resize is followed).
 */
import { type Options, type Params, SingleBar } from 'cli-progress';
import type { RefreshSummary } from '../wire/mappers.js';
import type { RefreshStatus } from '../wire/schemas.js';

/** Narrower than this a bar shows too little: the text goes without one. */
const MIN_BAR = 10;
/** Wider than this a bar says nothing more. */
const MAX_BAR = 40;

/**
 * The line drawn: `texts` (most detailed first) gives the candidates for the bar's value, total
 * and payload; the first that fits with a bar of at least {@link MIN_BAR} columns is drawn with
 * the widest bar that fits, else the first that fits alone, else the last, cut to the width.
 */
function fitLine(width: number, texts: readonly string[], bar: (size: number) => string): string {
  // One column spare: some terminals scroll when the last one is written.
  const room = width - 1 - 1; // and the leading space
  for (const text of texts) {
    const size = Math.min(MAX_BAR, room - text.length - 1);
    if (size >= MIN_BAR) return ` ${bar(size)} ${text}`;
  }
  const alone = texts.find((text) => text.length <= room) ?? (texts.at(-1) ?? '').slice(0, room);
  return ` ${alone}`;
}

/** A single-line bar on `stream` whose text is the first of `texts(value, total, payload)` that fits. */
export function fittingBar<P>(
  stream: NodeJS.WritableStream,
  texts: (value: number, total: number, payload: P) => readonly string[],
): SingleBar {
  const format = (options: Options, params: Params, payload: P) =>
    fitLine(params.maxWidth, texts(params.value, params.total, payload), (size) => {
      const complete = Math.round(params.progress * size);
      return `${(options.barCompleteChar ?? '=').repeat(complete)}${(options.barIncompleteChar ?? '-').repeat(size - complete)}`;
    });
  return new SingleBar({ format, stream, hideCursor: true });
}

/** What a refresh's bar shows besides its value (tokens done) and total. */
export type RefreshProgress = { status: RefreshStatus } & RefreshSummary;

/**
 * The bar of a refresh's progress (`watch`, the demo): the counts stay on screen at any width,
 * as `succeeded 1 failed 0 pending 2`, `ok 1 failed 0 pending 2` or shorter.
 */
export function refreshProgressBar(stream: NodeJS.WritableStream): SingleBar {
  return fittingBar<RefreshProgress>(
    stream,
    (done, total, { status, succeeded, failed, pending }) => [
      `${done}/${total} | ${status} | succeeded ${succeeded} failed ${failed} pending ${pending}`,
      `${done}/${total} succeeded ${succeeded} failed ${failed} pending ${pending}`,
      `${done}/${total} ok ${succeeded} failed ${failed} pending ${pending}`,
      `ok ${succeeded} failed ${failed} pending ${pending}`,
      `ok ${succeeded} fail ${failed} pend ${pending}`,
    ],
  );
}
