import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SpooledFile } from '../../ports.ts';

/**
 * Writes `chunks` (UTF-8, each encoded on its own, as `Buffer.from(chunk)` would) to a new file in `dir`
 * and returns its path, size and SHA-256, computed while writing: a month-sized CSV goes to disk without
 * ever being one string or buffer, and publishing needs no second read to hash it. Written synchronously
 * through a {@link SpoolWriter} with a buffer of {@link SPOOL_BUFFER_BYTES}, reused from chunk to chunk:
 * a new Buffer per chunk (through a write stream) was ~1 GB of short-lived external memory for the
 * chargeback CSV at 10,000 GPUs, which makes V8 collect the month-sized heap more often (issue #18). On
 * any failure, of `chunks` or of the disk, the partial file is deleted and the error is rethrown.
 */
export async function spoolChunks(chunks: Iterable<string>, dir: string): Promise<SpooledFile> {
  return spooled(new SpoolWriter(dir, SPOOL_BUFFER_BYTES), (writer) => {
    for (const chunk of chunks) writer.write(chunk);
  });
}

/** The buffer of {@link spoolChunks}' writer: a few chunks of ~100 KB of text (report.html's are larger). */
const SPOOL_BUFFER_BYTES = 1 << 20;

/**
 * Writes `chunks` of bytes to a new file in `dir`, synchronously, and returns its path, size and SHA-256:
 * each chunk is written or copied before the next is pulled, so a producer may hand out views of one
 * reused buffer (the team costs.csv does). On any failure the file is deleted and the error rethrown.
 */
export function spoolBytes(chunks: Iterable<Uint8Array>, dir: string): SpooledFile {
  return spooled(new SpoolWriter(dir), (writer) => {
    for (const chunk of chunks) writer.writeBytes(chunk);
  });
}

/** `fill`s `writer` and finishes its file; on any failure deletes the file and rethrows. */
function spooled(writer: SpoolWriter, fill: (writer: SpoolWriter) => void): SpooledFile {
  try {
    fill(writer);
    return writer.finish();
  } catch (error) {
    writer.discard();
    throw error;
  }
}

/** Bytes a {@link SpoolWriter} gathers before it appends them to its file. */
const WRITER_BUFFER_BYTES = 1 << 17;

/**
 * A file spooled piece by piece, for writing many files from one pass over the month (the team CSVs
 * while the chargeback CSV is encoded): `write` gathers the UTF-8 bytes of each text in a small buffer
 * and appends it to the file, synchronously, when full; `finish` returns the file's path, size and
 * SHA-256 as {@link spoolChunks} does (the same bytes for the same texts). The file is not held open
 * between appends, so any number of writers can be in use at once (Lambda allows 1,024 descriptors).
 * Texts are encoded one by one, so a surrogate pair must not be split between two of them.
 * `discard` deletes the file (after any failure).
 */
export class SpoolWriter {
  readonly path: string;
  readonly #hash = createHash('sha256');
  #bytes = 0;
  #buffer: Buffer | undefined;
  #used = 0;
  #finished = false;
  /** Bytes gathered before an append. */
  readonly #size: number;

  constructor(dir: string, bufferBytes = WRITER_BUFFER_BYTES) {
    this.#size = bufferBytes;
    this.path = join(resolve(dir), `spool-${randomBytes(8).toString('hex')}`);
    // 'wx': a name collision fails rather than overwriting (and then deleting) another spooled file.
    closeSync(openSync(this.path, 'wx'));
  }

  /** Appends `text` as UTF-8; returns its length in bytes. */
  write(text: string): number {
    if (this.#finished) throw new Error(`${this.path} is already finished`);
    const size = this.#size;
    // At most 3 bytes a UTF-16 unit; a text that may not fit is measured first.
    const most = 3 * text.length > size - this.#used ? Buffer.byteLength(text, 'utf8') : 3 * text.length;
    if (this.#used + most > size) this.#flush();
    if (most > size) {
      const bytes = Buffer.from(text, 'utf8');
      this.#append(bytes);
      return bytes.byteLength;
    }
    this.#buffer ??= Buffer.allocUnsafe(size);
    const written = this.#buffer.write(text, this.#used, 'utf8');
    this.#used += written;
    return written;
  }

  /** Appends `bytes` (copied or written before this returns: the caller may reuse them). */
  writeBytes(bytes: Uint8Array): void {
    if (this.#finished) throw new Error(`${this.path} is already finished`);
    const size = this.#size;
    if (this.#used + bytes.byteLength > size) this.#flush();
    if (bytes.byteLength > size) {
      this.#append(bytes);
      return;
    }
    this.#buffer ??= Buffer.allocUnsafe(size);
    this.#buffer.set(bytes, this.#used);
    this.#used += bytes.byteLength;
  }

  /** Writes what is buffered and returns the spooled file. */
  finish(): SpooledFile {
    this.#flush();
    this.#finished = true;
    this.#buffer = undefined;
    return { path: this.path, bytes: this.#bytes, sha256: this.#hash.digest('hex') };
  }

  /** Deletes the file (nothing is written after this). */
  discard(): void {
    this.#finished = true;
    this.#buffer = undefined;
    rmSync(this.path, { force: true });
  }

  #flush(): void {
    if (this.#used === 0) return;
    const used = this.#used;
    this.#used = 0;
    this.#append(this.#buffer!.subarray(0, used));
  }

  #append(bytes: Uint8Array): void {
    this.#hash.update(bytes);
    this.#bytes += bytes.byteLength;
    const fd = openSync(this.path, 'a');
    try {
      for (let at = 0; at < bytes.byteLength;) at += writeSync(fd, bytes, at, bytes.byteLength - at);
    } finally {
      closeSync(fd);
    }
  }
}

/**
 * Reads a spooled file at any position: `readAt(into, length, position)` reads exactly `length` bytes from
 * byte `position` into the start of `into` (a shorter file is an error); `close` closes the file.
 */
export function spooledReader(path: string): {
  readAt: (into: Uint8Array, length: number, position: number) => void;
  close: () => void;
} {
  const fd = openSync(path, 'r');
  return {
    readAt: (into, length, position) => {
      for (let at = 0; at < length;) {
        const read = readSync(fd, into, at, length - at, position + at);
        if (read === 0) throw new RangeError(`${path} ends before byte ${position + length}`);
        at += read;
      }
    },
    close: () => closeSync(fd),
  };
}
