import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { type Config, type ConfigInput, configSchema } from './schema.ts';

/** One config problem: where (dotted path, `(root)` for the whole file) and what is wrong. */
export interface ConfigIssue {
  path: string;
  message: string;
}

/**
 * Formats zod issues as `path: message` pairs, path in dotted form (`pricing.instanceTypes.g5.xlarge.gpus`).
 * An unknown key becomes one issue per key, at the key's own path, naming the keys that object accepts
 * (`allocation.idle.platfromTeam: unknown setting (allowed: mode, platformTeam)`); with `schema` and
 * `input` the allowed keys are read from the schema at that place.
 */
export function formatConfigIssues(
  issues: readonly z.core.$ZodIssue[],
  context?: { schema: z.ZodType; input: unknown },
): ConfigIssue[] {
  return issues.flatMap((issue) => {
    if (issue.code === 'unrecognized_keys') {
      const allowed = context ? keysAt(context.schema, context.input, issue.path) : undefined;
      return issue.keys.map((key) => ({
        path: dotted([...issue.path, key]),
        message: unknownKeyMessage(key, issue.path, allowed),
      }));
    }
    return [{ path: dotted(issue.path), message: issue.message }];
  });
}

/** A dotted path; an empty key, or one with white space, is written as a JSON string with the spaces escaped. */
function dotted(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map(String)
    .map((key) =>
      key === '' || /\s/.test(key)
        ? JSON.stringify(key).replace(/\s/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
        : key,
    )
    .join('.');
}

/** What to say about an unknown key: secrets are never read from the file; otherwise the keys allowed there. */
function unknownKeyMessage(
  key: string,
  parent: readonly PropertyKey[],
  allowed: string[] | undefined,
): string {
  if (/token|secret|password|credential|apikey|api_key/i.test(key) && parent.includes('auth')) {
    return 'unknown setting: secrets are never read from the config file; name the environment variable (tokenEnv) or file (tokenFile) that holds it';
  }
  return allowed && allowed.length > 0
    ? `unknown setting (allowed: ${allowed.join(', ')})`
    : 'unknown setting';
}

/** The keys the object schema at `path` accepts (union variants chosen by the input's discriminator). */
function keysAt(schema: z.ZodType, input: unknown, path: readonly PropertyKey[]): string[] | undefined {
  type Def = {
    type: string;
    innerType?: z.ZodType;
    in?: z.ZodType;
    shape?: Record<string, z.ZodType>;
    valueType?: z.ZodType;
    element?: z.ZodType;
    options?: z.ZodType[];
    discriminator?: string;
  };
  const defOf = (s: z.ZodType) => (s as unknown as { _zod: { def: Def } })._zod.def;
  const resolve = (s: z.ZodType, value: unknown): z.ZodType | undefined => {
    let current: z.ZodType | undefined = s;
    for (let guard = 0; current && guard < 16; guard++) {
      const def = defOf(current);
      if (def.innerType) current = def.innerType;
      else if (def.type === 'pipe' && def.in) current = def.in;
      else if (def.type === 'union' && def.options) {
        const disc = def.discriminator;
        const kind =
          disc && value && typeof value === 'object' ? (value as Record<string, unknown>)[disc] : undefined;
        current = def.options.find((o) => {
          const option = defOf(o).shape?.[disc ?? ''];
          return option !== undefined && option.safeParse(kind).success;
        });
      } else return current;
    }
    return current;
  };
  let current = resolve(schema, input);
  let value = input;
  for (const key of path) {
    if (!current) return undefined;
    const def = defOf(current);
    value = value && typeof value === 'object' ? (value as Record<PropertyKey, unknown>)[key] : undefined;
    const next = def.shape?.[String(key)] ?? def.valueType ?? def.element;
    current = next ? resolve(next, value) : undefined;
  }
  const shape = current ? defOf(current).shape : undefined;
  return shape ? Object.keys(shape) : undefined;
}

/**
 * Own "__proto__" keys anywhere in a parsed config (JSON.parse and YAML make them plain keys): a table
 * keyed by them would silently lose the entry (zod skips it) or, merged naively, replace a prototype.
 */
function prototypeKeyIssues(value: unknown, path: PropertyKey[] = []): ConfigIssue[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => prototypeKeyIssues(v, [...path, i]));
  if (value === null || typeof value !== 'object') return [];
  return Object.keys(value).flatMap((key) =>
    key === '__proto__'
      ? [
          {
            path: dotted([...path, key]),
            message: 'not accepted as a key (it names the prototype of an object)',
          },
        ]
      : prototypeKeyIssues((value as Record<string, unknown>)[key], [...path, key]),
  );
}

/** Validates a parsed config object; throws ConfigError listing every problem at once. */
export function parseConfig(input: unknown, origin = 'config'): Config {
  const raw = input ?? {};
  const result = configSchema.safeParse(raw);
  const prototypeKeys = prototypeKeyIssues(raw);
  const named = new Set(prototypeKeys.map((i) => i.path));
  const issues = [
    ...prototypeKeys,
    ...(result.success
      ? []
      : formatConfigIssues(result.error.issues, { schema: configSchema, input: raw })
    ).filter((i) => !named.has(i.path)),
  ];
  if (issues.length > 0 || !result.success) {
    const lines = issues.map((i) => `${i.path}: ${i.message}`);
    throw new ConfigError(
      `${origin} is invalid (${issues.length} problem${issues.length === 1 ? '' : 's'}): ${lines.join('; ')}`,
      issues,
    );
  }
  return result.data;
}

/** Parses JSON or YAML text (by file extension, else by content). */
export function parseConfigText(text: string, fileName: string): unknown {
  try {
    if (/\.json$/i.test(fileName)) return JSON.parse(text);
    return parseYaml(text);
  } catch (error) {
    throw new ConfigError(
      `${fileName} is not valid ${/\.json$/i.test(fileName) ? 'JSON' : 'YAML'}: ${(error as Error).message.split('\n')[0]}`,
      [],
      {
        cause: error,
      },
    );
  }
}

/** Reads, parses and validates a config file; `overrides` (from CLI flags) are merged on top. */
export async function loadConfig(
  file: string | undefined,
  overrides: (raw: ConfigInput) => ConfigInput = (r) => r,
): Promise<Config> {
  let raw: unknown = {};
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new ConfigError(
        `cannot read config file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        [],
        { cause: error },
      );
    }
    raw = parseConfigText(text, file) ?? {};
    if (typeof raw !== 'object' || Array.isArray(raw))
      throw new ConfigError(`${file}: the top level must be a mapping of settings`);
  }
  return parseConfig(overrides(raw as ConfigInput), file ?? 'config');
}
