import { InputError } from './errors.ts';

/**
 * Redaction: the one place that decides what of a secret may reach a log line, an error message, the
 * CLI's last line, CloudWatch Logs or the Step Functions history. The CLI and the Lambdas share it (one
 * {@link Redactor} per run, given to the one logger, src/adapters/log/logger.ts, and to the one error
 * path, {@link Redactor.errorLine} / {@link Redactor.redactError}).
 */

const REDACTED = '[REDACTED]';

/** Field names whose values are secret whatever they hold. */
const SECRET_FIELD = /authorization|token|secret|password|signature|credential|api[-_]?key|cookie/i;

/** Secrets that announce themselves: bearer tokens, SigV4 parts, credentials inside URLs. */
const SECRET_PATTERNS: readonly [RegExp, string][] = [
  [/(Bearer\s+)[^\s"',;]+/gi, `$1${REDACTED}`],
  [/(Basic\s+)[A-Za-z0-9+/=]{6,}/gi, `$1${REDACTED}`],
  [/(Signature=)[0-9a-f]+/gi, `$1${REDACTED}`],
  [/(X-Amz-Security-Token=)[^&\s"']+/gi, `$1${REDACTED}`],
  [/(X-Amz-Signature=)[^&\s"']+/gi, `$1${REDACTED}`],
  [/(Credential=)[^,\s&"']+/gi, `$1${REDACTED}`],
  // user:password@ in any URL (fetch quotes the whole URL in its errors).
  [/(\b[a-z][a-z0-9+.-]*:\/\/)[^/\s@"']+@/gi, `$1${REDACTED}@`],
  // ?token=…, &access_token=…, &api_key=… in URLs.
  [/([?&](?:access_)?(?:token|api[-_]?key|key|secret|password|sig)=)[^&\s"']+/gi, `$1${REDACTED}`],
];

/** A URL without credentials, query string or trailing slashes, for descriptions, logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(invalid url)';
  }
}

/** Replaces every occurrence of a secret (longest first) with [REDACTED]. */
export function scrubSecrets(text: string, secrets: Iterable<string>): string {
  let out = text;
  for (const secret of [...secrets].sort((a, b) => b.length - a.length)) {
    if (secret.length > 0) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/**
 * Redacts secrets from text and values: the values it was told about (a bearer token from its variable
 * or file, custom header values, AWS secret keys) and their long parts wherever they appear, and
 * whatever looks like a secret (`Bearer …`, `Signature=…`, `user:password@`, `?token=…`, fields named
 * like secrets) even when nobody told it.
 */
export class Redactor {
  readonly #secrets = new Set<string>();

  constructor(secrets: Iterable<string | undefined> = []) {
    this.add(...secrets);
  }

  /** Tells the redactor about secret values (values shorter than 6 characters are too common to scrub). */
  add(...secrets: (string | undefined)[]): this {
    for (const secret of secrets) {
      const value = secret?.trim();
      if (!value || value.length < 6) continue;
      this.#secrets.add(value);
      // A header value such as "Bearer abc…" or "key=…;sig=…": its long parts may be echoed alone.
      for (const part of value.split(/[\s,;=:]+/))
        if (part.length >= 12 && part !== value) this.#secrets.add(part);
    }
    return this;
  }

  /** Text with every known secret and every self-announcing one replaced by [REDACTED]. */
  text(text: string): string {
    let out = scrubSecrets(text, this.#secrets);
    for (const [pattern, replacement] of SECRET_PATTERNS) out = out.replace(pattern, replacement);
    return out;
  }

  /** A copy of a log field value: strings redacted, fields named like secrets replaced, recursively. */
  value(value: unknown, depth = 0): unknown {
    if (typeof value === 'string') return this.text(value);
    if (depth > 8 || value === null || typeof value !== 'object') return value;
    if (value instanceof Error) return this.errorLine(value);
    if (Array.isArray(value)) return value.map((v) => this.value(v, depth + 1));
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, SECRET_FIELD.test(k) ? REDACTED : this.value(v, depth + 1)]),
    );
  }

  /**
   * The one line that describes an error for a person or a log: `Name: message` (the message alone for
   * bad input, exit code 2), newlines folded, secrets redacted; with `debug`, the stack and every cause's
   * stack instead (redacted too).
   */
  errorLine(error: unknown, options: { debug?: boolean } = {}): string {
    if (!(error instanceof Error)) return this.text(String(error));
    if (options.debug) {
      const parts: string[] = [];
      let current: unknown = error;
      for (let depth = 0; current instanceof Error && depth < 5; depth++) {
        parts.push(
          `${depth > 0 ? 'Caused by: ' : ''}${current.stack ?? `${current.name}: ${current.message}`}`,
        );
        current = current.cause;
      }
      return this.text(parts.join('\n'));
    }
    const message = error.message.replace(/\s*\n\s*/g, ' ');
    return this.text(error instanceof InputError ? message : `${error.name}: ${message}`);
  }

  /**
   * The error itself made safe to rethrow where the runtime prints it (Lambda: CloudWatch Logs and the
   * Step Functions history print message, stack and cause): its message, stack and every cause's are
   * redacted in place, so its class (InputError, RefusedError…) and fields stay for callers. A thrown
   * non-Error becomes an Error with the redacted text.
   */
  redactError(error: unknown): Error {
    if (!(error instanceof Error)) return new Error(this.text(String(error)));
    let current = error;
    for (let depth = 0; depth < 5; depth++) {
      current.message = this.text(current.message);
      if (current.stack) current.stack = this.text(current.stack);
      const cause: unknown = current.cause;
      if (cause instanceof Error) {
        current = cause;
        continue;
      }
      // A cause that is not an Error (a string, a response body object) is redacted as a value.
      if (cause !== undefined) current.cause = this.value(cause);
      break;
    }
    return error;
  }
}
