import { DateTime, IANAZone } from 'luxon';
import type { ConfigInput } from '../config/schema.ts';
import { isMonth } from '../core/period.ts';
import { InputError } from '../errors.ts';
import type { Redactor } from '../redact.ts';

/** Exit codes: a contract other tools rely on. */
export const EXIT_OK = 0;
export const EXIT_RUNTIME = 1;
export const EXIT_BAD_INPUT = 2;

/** Where a command writes: stdout for machine output, stderr for everything else. */
export interface CliIo {
  stdout: (data: string | Uint8Array) => void;
  stderr: (text: string) => void;
  env: NodeJS.ProcessEnv;
  nowMs: () => number;
  stderrIsTty: boolean;
  /** Width of the terminal on stderr, when it is one. */
  stderrColumns?: number | undefined;
  /**
   * What this run must never print: runCli starts it with the environment's secrets, the context adds
   * the config's, and the logger and the last error line both use it. Absent when a caller builds its
   * own io: runCli creates it.
   */
  redactor?: Redactor;
}

/**
 * An option every command may declare. Every option with a value says in its help what happens without
 * it: `required`, or its `default` (a value, or where the value comes from, such as a config key).
 */
export interface OptionSpec {
  type: 'string' | 'boolean';
  description: string;
  placeholder?: string;
  /** What applies when the option is not given, as the help shows it after "default:". */
  default?: string;
  /** The command refuses to run without it. */
  required?: boolean;
}

export interface CommandSpec {
  name: string;
  summary: string;
  usage: string;
  options: Record<string, OptionSpec>;
  positionals?: string;
  run(args: ParsedArgs, io: CliIo): Promise<number>;
}

export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/** Options shared by the commands that read metrics and write outputs. */
export const commonOptions: Record<string, OptionSpec> = {
  config: {
    type: 'string',
    placeholder: 'FILE',
    description: 'configuration file (JSON or YAML)',
    default: 'none: every key at its default (docs/configuration.md)',
  },
  'prometheus-url': {
    type: 'string',
    placeholder: 'URL',
    description: 'Prometheus/Thanos/Mimir/AMP query URL (overrides source.url)',
    default: 'source.url of the config',
  },
  out: {
    type: 'string',
    placeholder: 'DIR|s3://bucket/prefix',
    description: 'where reports and daily partials live (overrides output.location)',
    default: 'output.location of the config, else ./reports',
  },
  timezone: {
    type: 'string',
    placeholder: 'Area/City',
    description: 'IANA time zone of billing months (overrides timezone)',
    default: 'timezone of the config, else UTC',
  },
  debug: { type: 'boolean', description: 'print stack traces of errors' },
  quiet: { type: 'boolean', description: 'only warnings and errors on stderr' },
  verbose: {
    type: 'boolean',
    description: 'log JSON lines on stderr also on a terminal (there: one updating line per stage otherwise)',
  },
};

/** Options of the commands that publish: overriding the publish guard (config `guard`). */
export const guardOptions: Record<string, OptionSpec> = {
  force: {
    type: 'boolean',
    description:
      'publish even when the guard refuses (low coverage, a restatement that moves money); needs --reason',
  },
  reason: {
    type: 'string',
    placeholder: 'TEXT',
    description: 'why the month is (re)published: recorded in the manifest, and in the PDF of a restatement',
    default: 'none',
  },
};

/** `--language`: the language of the executive PDF (overrides report.language). */
export const languageOption: OptionSpec = {
  type: 'string',
  placeholder: 'en|ko',
  description: 'language of the executive PDF (overrides report.language)',
  default: 'report.language of the config, else en',
};

/** The value of `--language`, checked; undefined when not given. */
export function languageOf(values: ParsedArgs['values']): 'en' | 'ko' | undefined {
  if (values.language === undefined) return undefined;
  if (values.language !== 'en' && values.language !== 'ko')
    throw new InputError('--language must be en or ko');
  return values.language;
}

/** The guard override given on the command line (checked: --force needs --reason). */
export function guardOverrideOf(values: ParsedArgs['values']): { force?: boolean; reason?: string } {
  const force = Boolean(values.force);
  const reason = typeof values.reason === 'string' ? values.reason : undefined;
  if (force && !reason?.trim()) {
    throw new InputError('--force needs --reason "<why>": the reason is recorded in the manifest');
  }
  if (reason !== undefined && reason.length > 500)
    throw new InputError('--reason must be at most 500 characters');
  return { ...(force ? { force } : {}), ...(reason?.trim() ? { reason: reason.trim() } : {}) };
}

/** Applies the common command-line overrides to a raw config object. */
export function applyCommonOverrides(raw: ConfigInput, values: ParsedArgs['values']): ConfigInput {
  const out: ConfigInput = { ...raw };
  if (typeof values.timezone === 'string') {
    if (!IANAZone.isValidZone(values.timezone)) {
      throw new InputError(
        `--timezone "${values.timezone}" is not an IANA time zone (e.g. Asia/Seoul, America/New_York)`,
      );
    }
    out.timezone = values.timezone;
  }
  if (typeof values['prometheus-url'] === 'string') {
    out.source = { ...(raw.source ?? {}), kind: 'prometheus', url: values['prometheus-url'] };
  }
  if (typeof values.out === 'string') out.output = { ...(raw.output ?? {}), location: values.out };
  const language = languageOf(values);
  if (language !== undefined) out.report = { ...(raw.report ?? {}), language };
  return out;
}

/** Validates a YYYY-MM month argument, rejecting impossible and future months. */
export function requireMonth(value: unknown, flag: string, nowMs: number): string {
  if (typeof value !== 'string') throw new InputError(`${flag} YYYY-MM is required`);
  if (!isMonth(value))
    throw new InputError(`${flag} "${value}" is not a month: expected YYYY-MM with MM from 01 to 12`);
  if (value > DateTime.fromMillis(nowMs, { zone: 'UTC' }).plus({ days: 1 }).toFormat('yyyy-MM')) {
    throw new InputError(`${flag} ${value} is in the future`);
  }
  return value;
}
