import { runCli } from '../../src/cli/main.ts';

/** Runs the CLI in-process at a fixed clock and returns its exit code and captured output. */
export async function runCliCaptured(nowMs: number, ...argv: string[]) {
  let stdout = '';
  let stderr = '';
  const code = await runCli(argv, {
    stdout: (d) => {
      stdout += typeof d === 'string' ? d : Buffer.from(d).toString('utf8');
    },
    stderr: (t) => {
      stderr += t;
    },
    env: {},
    nowMs: () => nowMs,
    stderrIsTty: false,
  });
  return { code, stdout, stderr };
}
