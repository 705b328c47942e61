import { parseArgs } from 'node:util';
import { ConfigError, InputError } from '../errors.ts';
import { commands } from './commands.ts';
import { environmentSecrets } from '../adapters/log/secrets.ts';
import { Redactor } from '../redact.ts';
import {
  type CliIo,
  type CommandSpec,
  EXIT_BAD_INPUT,
  EXIT_OK,
  EXIT_RUNTIME,
  type OptionSpec,
  type ParsedArgs,
} from './options.ts';

export type { CliIo } from './options.ts';

function helpFor(spec: CommandSpec): string {
  const lines = [`Usage: gpu-chargeback ${spec.usage}`, '', spec.summary, '', 'Options:'];
  const all = { ...spec.options, help: { type: 'boolean', description: 'show this help' } as OptionSpec };
  for (const [name, opt] of Object.entries(all)) {
    const flag = `--${name}${opt.type === 'string' ? ` ${opt.placeholder ?? 'VALUE'}` : ''}`;
    const when = opt.required ? ' (required)' : opt.default !== undefined ? ` (default: ${opt.default})` : '';
    lines.push(`  ${flag.padEnd(38)} ${opt.description}${when}`);
  }
  return `${lines.join('\n')}\n`;
}

function mainHelp(): string {
  const lines = [
    'Usage: gpu-chargeback <command> [options]',
    '',
    'Turns Kubernetes GPU usage (kube-state-metrics + dcgm-exporter in Prometheus) into chargeback CSVs, a JSON summary and an executive PDF.',
    '',
    'Commands:',
  ];
  for (const spec of Object.values(commands)) lines.push(`  ${spec.name.padEnd(16)} ${spec.summary}`);
  lines.push(
    '',
    'Run `gpu-chargeback <command> --help` for the options of a command.',
    'Exit codes: 0 success, 1 runtime failure, 2 bad input.',
  );
  return `${lines.join('\n')}\n`;
}

/**
 * Every option is single-valued: given twice (`--month 2026-01 --month 2026-02`), node's parseArgs keeps
 * the last one silently, which could bill the wrong month. Refuse instead, naming both values.
 */
function refuseRepeatedOptions(
  tokens: readonly { kind: string; name?: string; value?: string | undefined }[],
): void {
  const seen = new Map<string, string | undefined>();
  for (const token of tokens) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    if (seen.has(token.name)) {
      const values = [seen.get(token.name), token.value].filter((v) => v !== undefined);
      throw new InputError(
        `--${token.name} is given more than once${values.length === 2 ? ` (${values.map((v) => JSON.stringify(v)).join(' and ')})` : ''}; give it once`,
      );
    }
    seen.set(token.name, token.value);
  }
}

/** Runs the CLI with `argv` (without node and script); returns the exit code. */
export async function runCli(argv: string[], callerIo: CliIo): Promise<number> {
  const redactor = callerIo.redactor ?? new Redactor(environmentSecrets(callerIo.env));
  const io: CliIo = { ...callerIo, redactor };
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(mainHelp());
    return name ? EXIT_OK : EXIT_BAD_INPUT;
  }
  if (name === '--version') {
    io.stdout('gpu-chargeback 0.1.0\n');
    return EXIT_OK;
  }
  const spec = commands[name];
  if (!spec) {
    io.stderr(`gpu-chargeback: unknown command "${name}"; commands: ${Object.keys(commands).join(', ')}\n`);
    return EXIT_BAD_INPUT;
  }
  const debug = rest.includes('--debug');
  try {
    let parsed: ParsedArgs;
    try {
      const options = Object.fromEntries(
        Object.entries({ ...spec.options, help: { type: 'boolean' as const, description: '' } }).map(
          ([k, v]) => [k, { type: v.type }],
        ),
      );
      const { values, positionals, tokens } = parseArgs({
        args: rest,
        options,
        allowPositionals: Boolean(spec.positionals),
        strict: true,
        tokens: true,
      });
      parsed = { values, positionals } as ParsedArgs;
      refuseRepeatedOptions(tokens);
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError(
        `${(error as Error).message.replace(/\. To specify a positional.*$/, '')}; see gpu-chargeback ${name} --help`,
      );
    }
    if (parsed.values.help) {
      io.stdout(helpFor(spec));
      return EXIT_OK;
    }
    return await spec.run(parsed, io);
  } catch (error) {
    const bad = error instanceof InputError;
    // The last line a user (or a log pipeline) sees: the one error path, with the same redaction as the logs.
    io.stderr(`gpu-chargeback ${name}: ${redactor.errorLine(error, { debug })}\n`);
    if (error instanceof ConfigError && name === 'validate-config') {
      io.stdout(`${JSON.stringify({ valid: false, issues: error.issues }, null, 2)}\n`);
    }
    return bad ? EXIT_BAD_INPUT : EXIT_RUNTIME;
  }
}
