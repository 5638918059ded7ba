/**
 * The one home of option checks: every client, scheduler, store, source, target, engine and mock
 * checks its numeric options here, so a bad option throws the same class ({@link
 * InvalidOptionError}) with the same kind of message wherever it is given:
 * `createRedisStore: windowMs must be a positive number, got 0`.
 *
 * Plain functions rather than zod: each check is a line or two, the messages need the owner and
 * the received value's type (never a string's text, which could be a secret), and the engine, the
 * wire helpers and the Redis store call them without building a schema per option.
 */
import { InvalidOptionError } from './errors.js';

/**
 * What a message says of a received value: a number as itself (`got -5`, `got NaN`), anything
 * else only by its type (`got a string`), since a string may be an API key, a private key or a URL
 * with credentials.
 */
export function describeReceived(value: unknown): string {
  if (typeof value === 'number') return `got ${value}`;
  if (value === null) return 'got null';
  if (value === undefined) return 'got undefined';
  if (Array.isArray(value)) return 'got an array';
  const type = typeof value;
  return `got ${type === 'object' ? 'an object' : `a ${type}`}`;
}

/** A numeric rule: integers only or any finite number, the least value, and an optional most. */
interface NumberRule {
  integer: boolean;
  min: 0 | 1;
  max?: number | undefined;
}

function ruleText({ integer, min, max }: NumberRule): string {
  if (integer && max !== undefined) return `an integer from ${min} to ${max}`;
  const kind = `${min === 1 ? 'a positive' : 'a non-negative'} ${integer ? 'integer' : 'number'}`;
  return max === undefined ? kind : `${kind} of at most ${max}`;
}

function passes(value: unknown, { integer, min, max }: NumberRule): value is number {
  return (
    typeof value === 'number' &&
    (integer ? Number.isSafeInteger(value) : Number.isFinite(value)) &&
    (min === 1 ? value > 0 : value >= 0) &&
    (max === undefined || value <= max)
  );
}

/** The checks of one owner's options; each returns the value when it passes. */
export interface OptionChecks {
  /** A finite number above 0 (and at most `max`). */
  positiveNumber(option: string, value: unknown, max?: number): number;
  /** A finite number, 0 or more (and at most `max`). */
  nonNegativeNumber(option: string, value: unknown, max?: number): number;
  /** A safe integer, 1 or more (and at most `max`). */
  positiveInteger(option: string, value: unknown, max?: number): number;
  /** A safe integer, 0 or more (and at most `max`). */
  nonNegativeInteger(option: string, value: unknown, max?: number): number;
  /**
   * The error for a rule of the owner's own, to throw: `${owner}: ${option} ${rule}`, followed by
   * what was received when `value` is given.
   */
  invalid(option: string, rule: string, ...value: [unknown?]): InvalidOptionError;
}

/**
 * The option checks of `owner` (the function, class or method the options are given to, named as
 * the caller wrote it: `createRedisStore`, `RefreshScheduler`, `waitForNftMetadata`).
 *
 * @example
 * ```ts
 * const check = optionChecks('createRedisStore');
 * const windowMs = check.positiveNumber('windowMs', options.windowMs ?? REFRESH_WINDOW_MS);
 * ```
 */
export function optionChecks(owner: string): OptionChecks {
  const invalid = (option: string, rule: string, ...value: [unknown?]) => {
    const received = value.length > 0 ? `, ${describeReceived(value[0])}` : '';
    return new InvalidOptionError(`${owner}: ${option} ${rule}${received}`, { owner, option });
  };
  const number =
    (integer: boolean, min: 0 | 1) =>
    (option: string, value: unknown, max?: number): number => {
      const rule = { integer, min, max };
      if (!passes(value, rule)) throw invalid(option, `must be ${ruleText(rule)}`, value);
      return value;
    };
  return {
    positiveNumber: number(false, 1),
    nonNegativeNumber: number(false, 0),
    positiveInteger: number(true, 1),
    nonNegativeInteger: number(true, 0),
    invalid,
  };
}
