#!/usr/bin/env node
// The CLI, built into dist/cli.mjs by `npm run build` (run by `npm ci` / `npm install` through `prepare`,
// and before `npm run demo` and `npm test`). After changing src/, run `npm run build` again.
// Stack traces (--debug) point into src/ through dist/cli.mjs.map. Only with --debug: Node then reads and
// keeps the source map of every module it loads (≈ 50 ms of CPU at each start), and only --debug prints
// a stack.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
let cli;
try {
  cli = await import('../dist/cli.mjs');
} catch (error) {
  if (error?.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes('dist/cli.mjs')) throw error;
  process.stderr.write(
    'gpu-chargeback: dist/cli.mjs is missing; run `npm run build` (npm ci runs it) first\n',
  );
  process.exit(1);
}
const code = await cli.runCli(process.argv.slice(2), {
  stdout: (data) => process.stdout.write(data),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  nowMs: () => Date.now(),
  stderrIsTty: Boolean(process.stderr.isTTY),
  stderrColumns: process.stderr.columns,
});
process.exitCode = code;
