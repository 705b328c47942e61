#!/usr/bin/env node
// Builds the CLI into ES modules, dist/cli.mjs and its chunks, so that `gpu-chargeback` starts from
// JavaScript instead of transpiling TypeScript on every start; and dist/pdfWorker.mjs, the worker thread
// the CLI renders a month's PDFs in. Dependencies stay in node_modules (packages: external); the
// report templates (JSON) are inlined; queries/ and the fonts are read at run time from the package.
// Also dist/lambda/pdfWorker.mjs, the same worker for the Lambdas that render PDFs (serverless.yml ships
// it with them): their packages hold pdfkit and the fonts but no other package, so it bundles the rest.
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
await build({
  entryPoints: { pdfWorker: join(root, 'src/render/pdf/pdfWorker.ts') },
  outdir: join(root, 'dist/lambda'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  // As serverless.yml's esbuild settings: pdfkit reads its font metrics from its own directory, so it
  // ships as a package; what else is bundled may be CommonJS, hence `require` and friends in the banner.
  external: ['pdfkit'],
  platform: 'node',
  format: 'esm',
  target: 'node22',
  keepNames: true,
  legalComments: 'none',
  logLevel: 'warning',
  banner: {
    js:
      "import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url'; " +
      "import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url); " +
      'const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);',
  },
});
if (process.argv.includes('--verbose')) {
  process.stderr.write(`build: dist/cli.mjs in ${Math.round(performance.now() - started)} ms\n`);
}
