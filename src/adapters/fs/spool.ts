import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { SpooledFile } from '../../ports.ts';

/**
 * Writes `chunks` (UTF-8, each encoded on its own, as `Buffer.from(chunk)` would) to a new file in `dir`
 * and returns its path, size and SHA-256, computed while writing: a month-sized CSV goes to disk without
 * ever being one string or buffer, and publishing needs no second read to hash it. The pipeline honours
 * backpressure (no chunk is pulled while the file stream's buffer is full). On any failure, of `chunks`
 * or of the disk, the partial file is closed and deleted and the error is rethrown.
 */
export async function spoolChunks(chunks: Iterable<string>, dir: string): Promise<SpooledFile> {
  const path = join(resolve(dir), `spool-${randomBytes(8).toString('hex')}`);
  const hash = createHash('sha256');
  let bytes = 0;
  async function* encoded(): AsyncGenerator<Buffer> {
    for (const chunk of chunks) {
      const buffer = Buffer.from(chunk, 'utf8');
      hash.update(buffer);
      bytes += buffer.byteLength;
      yield buffer;
    }
  }
  // 'wx': a name collision fails rather than overwriting (and then deleting) another spooled file.
  const out = createWriteStream(path, { flags: 'wx' });
  try {
    await pipeline(encoded(), out);
  } catch (error) {
    // pipeline rejects as soon as it has destroyed the stream; wait for the descriptor to be closed.
    if (!out.closed) await new Promise<void>((done) => out.once('close', () => done()));
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') await rm(path, { force: true });
    throw error;
  }
  return { path, bytes, sha256: hash.digest('hex') };
}
