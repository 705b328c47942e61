/**
 * Writes docs/configuration.md from the config schema and src/config/keyDocs.ts (`npm run docs:config`).
 * test/unit/config/configDocs.test.ts fails when the committed file differs from what this writes.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { renderConfigDocs } from '../src/config/configDocs.ts';

const target = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
await writeFile(target, renderConfigDocs());
process.stderr.write(`wrote ${target}\n`);
