import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spoolChunks } from '../../../src/adapters/fs/spool.ts';

const dirs: string[] = [];
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'spool-test-'));
  dirs.push(dir);
  return dir;
};
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

describe('spoolChunks', () => {
  it('writes the joined chunks as UTF-8 and reports their size and SHA-256, multi-byte text included', async () => {
    const dir = await tempDir();
    const chunks = ['Team,Cost\r\n', '팀-머신러닝,12.50\r\n', 'café 🚀,0.01\r\n', '', 'مرحبا,3\r\n'];
    const joined = chunks.join('');

    const spooled = await spoolChunks(chunks, dir);

    expect(spooled.bytes).toBe(Buffer.byteLength(joined, 'utf8'));
    expect(spooled.bytes).toBeGreaterThan(joined.length);
    expect(spooled.sha256).toBe(sha256(joined));
    expect((await readFile(spooled.path)).toString('utf8')).toBe(joined);
    expect(spooled.path.startsWith(dir)).toBe(true);
  });

  it('streams many chunks (more than the file stream buffers) in order', async () => {
    const dir = await tempDir();
    // 20,000 chunks of ~100 bytes: 2 MB, far past the write stream's 16 KiB high-water mark.
    function* rows(): Iterable<string> {
      for (let i = 0; i < 20_000; i++) yield `row-${i},${'x'.repeat(i % 97)},ü\n`;
    }
    const expected = [...rows()].join('');

    const spooled = await spoolChunks(rows(), dir);

    expect(spooled.bytes).toBe(Buffer.byteLength(expected, 'utf8'));
    expect(spooled.sha256).toBe(sha256(expected));
    expect(sha256(await readFile(spooled.path))).toBe(spooled.sha256);
  });

  it('spools an empty CSV as an empty file', async () => {
    const dir = await tempDir();
    const spooled = await spoolChunks([], dir);
    expect(spooled).toMatchObject({ bytes: 0, sha256: sha256('') });
    expect((await readFile(spooled.path)).byteLength).toBe(0);
  });

  it('gives each spooled file its own path', async () => {
    const dir = await tempDir();
    const [a, b] = await Promise.all([spoolChunks(['a'], dir), spoolChunks(['b'], dir)]);
    expect(a.path).not.toBe(b.path);
    expect((await readdir(dir)).sort()).toHaveLength(2);
  });

  it('deletes the partial file and rethrows when the chunks fail midway', async () => {
    const dir = await tempDir();
    function* failing(): Iterable<string> {
      for (let i = 0; i < 5_000; i++) yield `${'y'.repeat(200)}\n`;
      throw new Error('rendering failed at row 5000');
    }

    await expect(spoolChunks(failing(), dir)).rejects.toThrow('rendering failed at row 5000');

    expect(await readdir(dir)).toEqual([]);
  });

  it('rejects when the directory does not exist, leaving nothing behind', async () => {
    const dir = await tempDir();
    await expect(spoolChunks(['a'], join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readdir(dir)).toEqual([]);
  });
});
