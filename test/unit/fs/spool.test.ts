import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { SpoolWriter, spoolBytes, spoolChunks, spooledReader } from '../../../src/adapters/fs/spool.ts';

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

  it('encodes chunks into one reused buffer, not a Buffer per chunk (issue #18), small and large alike', async () => {
    const dir = await tempDir();
    const chunks: string[] = [];
    for (let i = 0; i < 3_000; i++) chunks.push(`row-${i},${'é'.repeat(i % 300)},🚀\r\n`);
    // Chunks whose 3 bytes a unit would not fit in the buffer but whose UTF-8 does, and one that does not.
    chunks.push('a'.repeat(400_000), 'b'.repeat(1_000_000), '한'.repeat(400_000), 'tail');
    const expected = Buffer.from(chunks.join(''), 'utf8');
    const from = vi.spyOn(Buffer, 'from');
    let spooled;
    let encodedAlone;
    try {
      spooled = await spoolChunks(chunks, dir);
      encodedAlone = from.mock.calls.filter(([value]) => typeof value === 'string').length;
    } finally {
      from.mockRestore();
    }
    // Only the chunk larger than the buffer (1.2 MB of UTF-8) is encoded on its own.
    expect(encodedAlone).toBe(1);
    expect(spooled.bytes).toBe(expected.byteLength);
    expect(spooled.sha256).toBe(sha256(expected));
    expect((await readFile(spooled.path)).equals(expected)).toBe(true);
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

describe('SpoolWriter', () => {
  it('writes the same bytes, size and SHA-256 as spoolChunks for the same texts (multi-byte, small and large)', async () => {
    const dir = await tempDir();
    const texts = ['Team,Cost\r\n', '팀-머신러닝,12.50\r\n', '', 'café 🚀,0.01\r\n', '\ud800lone,1\r\n'];
    for (let i = 0; i < 5_000; i++) texts.push(`row-${i},${'é'.repeat(i % 61)},🚀\r\n`);
    texts.push('x'.repeat(300_000), 'ü'.repeat(100_000), 'tail\r\n');
    const writer = new SpoolWriter(dir);
    for (const text of texts) writer.write(text);
    const written = writer.finish();
    const spooled = await spoolChunks(texts, dir);

    expect(written.bytes).toBe(spooled.bytes);
    expect(written.sha256).toBe(spooled.sha256);
    expect(await readFile(written.path)).toEqual(await readFile(spooled.path));
    expect(written.path.startsWith(dir)).toBe(true);
    expect(() => writer.write('more')).toThrow(/finished/);
  });

  it('keeps more writers in use at once than a Lambda has file descriptors, each with its own file', async () => {
    const dir = await tempDir();
    const writers = Array.from({ length: 1_100 }, () => new SpoolWriter(dir));
    for (let round = 0; round < 3; round++)
      writers.forEach((w, i) => w.write(`${i}:${round}:${'z'.repeat(50_000)}\n`));
    const files = writers.map((w) => w.finish());
    expect(new Set(files.map((f) => f.path)).size).toBe(1_100);
    const third = (await readFile(files[3]!.path)).toString('utf8');
    expect(third).toBe([0, 1, 2].map((round) => `3:${round}:${'z'.repeat(50_000)}\n`).join(''));
    expect(sha256(third)).toBe(files[3]!.sha256);
  });

  it('an empty file for no text; discard deletes the file', async () => {
    const dir = await tempDir();
    const empty = new SpoolWriter(dir).finish();
    expect(empty).toMatchObject({ bytes: 0, sha256: sha256('') });
    expect((await readFile(empty.path)).byteLength).toBe(0);
    const discarded = new SpoolWriter(dir);
    discarded.write('a'.repeat(200_000));
    discarded.discard();
    expect(await readdir(dir)).toEqual([empty.path.slice(dir.length + 1)]);
  });
});

describe('SpoolWriter.write and spooledReader', () => {
  it("write returns each text's UTF-8 length; readAt reads exactly those bytes back at any position", async () => {
    const dir = await tempDir();
    const texts = [
      'Team,Cost\r\n',
      '팀-머신러닝,12.50\r\n',
      '',
      '\ud800lone 🚀\r\n',
      'x'.repeat(300_000),
      'end',
    ];
    const writer = new SpoolWriter(dir);
    const lengths = texts.map((text) => writer.write(text));
    expect(lengths).toEqual(texts.map((text) => Buffer.byteLength(text, 'utf8')));
    const { path } = writer.finish();
    const reader = spooledReader(path);
    try {
      let position = 0;
      for (const [k, text] of texts.entries()) {
        const into = Buffer.alloc(lengths[k]! + 2, 0x2a);
        reader.readAt(into, lengths[k]!, position);
        expect(into.subarray(0, lengths[k]!).equals(Buffer.from(text, 'utf8'))).toBe(true);
        expect(into.subarray(lengths[k]!).toString()).toBe('**');
        position += lengths[k]!;
      }
      expect(() => reader.readAt(Buffer.alloc(8), 8, position - 4)).toThrow(/ends before/);
    } finally {
      reader.close();
    }
  });
});

describe('spoolBytes', () => {
  it('writes chunks that are views of one reused buffer as they were when pulled', () => {
    const reused = Buffer.alloc(200_000);
    const expected: Buffer[] = [];
    function* views(): Iterable<Uint8Array> {
      for (let i = 0; i < 12; i++) {
        const size = [10, 150_000, 70_000, 1][i % 4]!;
        reused.fill(`${i}é`, 0, size);
        const view = reused.subarray(0, size);
        expected.push(Buffer.from(view));
        yield view;
      }
    }
    const dir = mkdtempSync(join(tmpdir(), 'spool-test-'));
    dirs.push(dir);
    const spooled = spoolBytes(views(), dir);
    const all = Buffer.concat(expected);
    expect(readFileSync(spooled.path).equals(all)).toBe(true);
    expect(spooled).toMatchObject({ bytes: all.byteLength, sha256: sha256(all) });
  });

  it('deletes the file and rethrows when the chunks fail midway', () => {
    const dir = mkdtempSync(join(tmpdir(), 'spool-test-'));
    dirs.push(dir);
    function* failing(): Iterable<Uint8Array> {
      yield Buffer.alloc(300_000, 'a');
      throw new Error('rendering failed');
    }
    expect(() => spoolBytes(failing(), dir)).toThrow('rendering failed');
    expect(readdirSync(dir)).toEqual([]);
  });
});
