/**
 * The one place the CLI's output is redacted: {@link redactOutput} wraps `write` of stdout and
 * stderr, so every line — commander's messages, errors, progress, results, `--json` — passes
 * through {@link Redactor.redact} whoever writes it. A key typed by mistake as a token id or
 * inside `--base-url` is echoed by many messages; none of them can print it.
 */
import { SECRET_API_KEY_PREFIX } from '../wire/zkevm/limits.js';

/** What a secret is replaced with. */
export const REDACTED = '[redacted]';

/** The variables whose values are secrets: the zkEVM API key and the Immutable X signing key. */
const SECRET_VARIABLES = ['IMMUTABLE_API_KEY', 'IMX_PRIVATE_KEY'] as const;

/**
 * A secret API key: the prefix and what follows up to a space, a quote or a backslash (JSON
 * stays JSON), when that holds at
 * least 8 letters or digits (so prose naming the prefix, `sk_imapik-…`, is left alone).
 */
const API_KEY_SHAPE = new RegExp(`${SECRET_API_KEY_PREFIX}[^\\s'"\\\\]*`, 'g');
const MIN_KEY_ALPHANUMERICS = 8;

/**
 * A private key: a run of 64 or more hex digits, with or without `0x`. A run of decimal digits
 * alone (a uint256 token id) is not one.
 */
const HEX_KEY_SHAPE = /(?:0x)?[0-9a-fA-F]{64,}/g;

/** Redacts secrets from text; lets through exactly the throwaway secrets the CLI made to show. */
export interface Redactor {
  /** `text` with the secrets of the environment, and anything shaped like a key, replaced. */
  redact(text: string): string;
  /** Lets `secret` through: a throwaway credential the CLI made and prints on purpose. */
  show(secret: string): void;
}

/** A redactor of the secrets in `env` and of anything shaped like an API key or a private key. */
export function createRedactor(env: Record<string, string | undefined>): Redactor {
  const shown = new Set<string>();
  const known = SECRET_VARIABLES.map((name) => env[name]).filter(
    (value): value is string => value !== undefined && value !== '',
  );
  const keep = (match: string, replace: boolean) =>
    replace && !shown.has(match) ? REDACTED : match;
  return {
    redact(text) {
      let out = text;
      for (const secret of known) if (!shown.has(secret)) out = out.replaceAll(secret, REDACTED);
      out = out.replace(API_KEY_SHAPE, (match) =>
        keep(
          match,
          (match.slice(SECRET_API_KEY_PREFIX.length).match(/[A-Za-z0-9]/g)?.length ?? 0) >=
            MIN_KEY_ALPHANUMERICS,
        ),
      );
      return out.replace(HEX_KEY_SHAPE, (match) => keep(match, !/^\d+$/.test(match)));
    },
    show(secret) {
      shown.add(secret);
    },
  };
}

/**
 * Routes every `write` to `stream` through `redact`: strings, and bytes (decoded as UTF-8) when
 * they hold a secret. Writers that split one secret across two writes are not covered; the CLI
 * writes whole lines.
 */
export function redactOutput(stream: NodeJS.WriteStream, redact: (text: string) => string): void {
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string') return write(redact(chunk), ...rest);
    if (chunk instanceof Uint8Array) {
      const text = Buffer.from(chunk).toString('utf8');
      const redacted = redact(text);
      if (redacted !== text) {
        // The bytes' encoding argument, if any, does not apply to the redacted string.
        return write(redacted, ...(typeof rest[0] === 'string' ? rest.slice(1) : rest));
      }
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}
