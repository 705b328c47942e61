import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors.ts';
import { type Config, type ConfigInput, configSchema } from './schema.ts';

/** Formats zod issues as `path: message` pairs, path in dotted form (`pricing.instanceTypes.g5.xlarge.gpus`). */
export function formatConfigIssues(issues: readonly z.core.$ZodIssue[]): { path: string; message: string }[] {
  return issues.map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}

/** Validates a parsed config object; throws ConfigError listing every problem at once. */
export function parseConfig(input: unknown, origin = 'config'): Config {
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    const issues = formatConfigIssues(result.error.issues);
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
