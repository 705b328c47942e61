import { createHash, randomBytes } from 'node:crypto';
import {
  copyFile,
  link,
  mkdir,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  unlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { BlobStore } from '../../ports.ts';
import { assertRelativeKey } from './relativeKey.ts';

/** Temp files carry this marker so that `list` never reports a half-written object. */
const TEMP_MARKER = '.tmp-';
/** A compare-and-swap holds `<path>.tmp-cas` for a read and a rename; older than this it was abandoned. */
const CAS_STALE_MS = 30_000;
const CAS_WAIT_MS = 10_000;

const etagOf = (bytes: Uint8Array) => `"${createHash('sha256').update(bytes).digest('hex')}"`;

/**
 * A BlobStore on a local directory. Every write goes to a temp file first and is then renamed (put,
 * putFile) or hard-linked (putIfAbsent) into place, so readers never see a partial file and a lock is
 * created atomically or not at all. `putIfMatch` reads, compares and renames while holding a per-key
 * guard file created the same atomic way, so two writers never both replace the version they read; the
 * version tag is the SHA-256 of the bytes. Content types are not stored (a directory has no metadata).
 */
export function createFsStore(dir: string): BlobStore {
  const root = resolve(dir);
  const pathOf = (key: string) => join(root, ...assertRelativeKey(key).split('/'));

  async function tempFor(path: string): Promise<string> {
    await mkdir(dirname(path), { recursive: true });
    return `${path}${TEMP_MARKER}${process.pid}-${randomBytes(6).toString('hex')}`;
  }

  async function writeTemp(path: string, body: Uint8Array | string): Promise<string> {
    const temp = await tempFor(path);
    await writeFile(temp, body);
    return temp;
  }

  /** Fills a temp file with `fill` and renames it over `path`; the temp file never outlives a failure. */
  async function replaceAtomically(path: string, fill: (temp: string) => Promise<void>): Promise<void> {
    const temp = await tempFor(path);
    try {
      await fill(temp);
      await rename(temp, path);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }

  return {
    location: root,
    async put(key, body) {
      await replaceAtomically(pathOf(key), (temp) => writeFile(temp, body));
    },
    async putFile(key, path) {
      // copyFile streams in the kernel (copy_file_range/sendfile), never through a JS buffer.
      await replaceAtomically(pathOf(key), (temp) => copyFile(path, temp));
    },
    async get(key) {
      try {
        return new Uint8Array(await readFile(pathOf(key)));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async list(prefix) {
      const found: string[] = [];
      // Only the directory the prefix names can hold its keys (usage/2026-10- lists usage/, not the reports).
      const dir = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
      await walk(dir ? pathOf(dir) : root, found);
      const keys = found
        .map((path) => relative(root, path).split(sep).join('/'))
        .filter((key) => key.startsWith(prefix) && !key.includes(TEMP_MARKER));
      return keys.sort();
    },
    async delete(key) {
      await rm(pathOf(key), { force: true });
    },
    async getVersioned(key) {
      try {
        const body = new Uint8Array(await readFile(pathOf(key)));
        return { body, etag: etagOf(body) };
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async putIfMatch(key, body, _contentType, etag) {
      const path = pathOf(key);
      const release = await holdGuard(`${path}${TEMP_MARKER}cas`, await writeTemp(path, ''));
      try {
        let current: Uint8Array;
        try {
          current = new Uint8Array(await readFile(path));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
          throw error;
        }
        if (etagOf(current) !== etag) return false;
        await replaceAtomically(path, (temp) => writeFile(temp, body));
        return true;
      } finally {
        await release();
      }
    },
    async putIfAbsent(key, body) {
      const path = pathOf(key);
      const temp = await writeTemp(path, body);
      try {
        // link(2) fails with EEXIST when the target exists: an atomic create-if-absent of a complete file.
        await link(temp, path);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
        throw error;
      } finally {
        await unlink(temp).catch(() => undefined);
      }
    },
  };
}

/**
 * Creates the guard file `guard` by hard-linking `temp` to it (atomic: exactly one holder), waiting while
 * another live holder has it and taking over one older than CAS_STALE_MS; returns its release.
 */
async function holdGuard(guard: string, temp: string): Promise<() => Promise<void>> {
  const deadline = Date.now() + CAS_WAIT_MS;
  try {
    for (;;) {
      try {
        await link(temp, guard);
        return () => unlink(guard).catch(() => undefined);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const held = await stat(guard).catch(() => undefined);
      if (held && Date.now() - held.mtimeMs > CAS_STALE_MS) {
        await unlink(guard).catch(() => undefined);
        continue;
      }
      if (Date.now() > deadline) throw new Error(`${guard} is held by another writer; retry later`);
      await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

async function walk(dir: string, out: string[]): Promise<void> {
  let entries: import('node:fs').Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) await walk(path, out);
    else if (entry.isFile()) out.push(path);
  }
}
