#!/usr/bin/env node
// Builds the CLI into ES modules, dist/cli.mjs and its chunks, so that `gpu-chargeback` starts from
// JavaScript instead of transpiling TypeScript on every start; and dist/pdfWorker.mjs, the worker thread
// the CLI renders a month's PDFs in. Dependencies stay in node_modules (packages: external); the
// report templates (JSON) are inlined; queries/ and the fonts are read at run time from the package.
// Runs on `npm ci` / `npm install` (the `prepare` script), before `npm run demo`, and in `npm test`.
import { build } from 'esbuild';
import { rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const started = performance.now();
// Chunks of an earlier build are never imported again; remove them so dist/ holds only this build's.
await rm(join(root, 'dist/chunks'), { recursive: true, force: true });
await build({
  // pdfWorker.mjs: the worker thread the CLI renders a month's PDFs in (src/render/pdf/workerPdfs.ts).
  entryPoints: { cli: join(root, 'src/cli/main.ts'), pdfWorker: join(root, 'src/render/pdf/pdfWorker.ts') },
  outdir: join(root, 'dist'),
  outExtension: { '.js': '.mjs' },
  // What the CLI imports with import() (the S3 store, CloudWatch, the billing export reader, the demo
  // simulator, the Prometheus source...) becomes a chunk loaded when a command needs it, not at start.
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  keepNames: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
if (process.argv.includes('--verbose')) {
  process.stderr.write(`build: dist/cli.mjs in ${Math.round(performance.now() - started)} ms\n`);
}
