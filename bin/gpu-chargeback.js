#!/usr/bin/env node
// Runs the TypeScript CLI directly (no build step) through tsx's ESM loader.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli/main.ts');
const code = await runCli(process.argv.slice(2), {
  stdout: (data) => process.stdout.write(data),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  nowMs: () => Date.now(),
  stderrIsTty: Boolean(process.stderr.isTTY),
});
process.exitCode = code;
