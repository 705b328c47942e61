import CRC32C from 'crc-32/crc32c.js';
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { PrometheusClient } from '../../../src/adapters/prometheus/client.ts';
import type { HttpFetch } from '../../../src/adapters/prometheus/httpFetch.ts';
import { Interner } from '../../../src/adapters/prometheus/parseResponse.ts';
import {
  decodeXorChunk,
  MatchType,
  rawSelectorOf,
  readRequestBody,
  RemoteReadParser,
  snappyLiteral,
} from '../../../src/adapters/prometheus/remoteRead.ts';
import { SampleBuilder, type SamplePoints } from '../../../src/adapters/prometheus/samplePoints.ts';

const { Reader, Writer } = protobuf;

/**
 * An XOR chunk as Prometheus writes it: a test-only port of tsdb/chunkenc/xor.go's xorAppender.Append,
 * bitRange and xorWrite and of bstream.go (prometheus/prometheus d15adb9), with BigInt for the 64-bit
 * words. The decoder under test is also checked against chunks a real Prometheus wrote
 * (test/integration/remoteRead.test.ts).
 */
function xorChunk(samples: readonly (readonly [number, number | bigint])[]): Uint8Array {
  const bits: number[] = [];
  const write = (value: bigint, n: number) => {
    for (let k = n - 1; k >= 0; k--) bits.push(Number((value >> BigInt(k)) & 1n));
  };
  const varint = (v: bigint) => {
    for (;;) {
      if (v < 0x80n) {
        write(v, 8);
        return;
      }
      write((v & 0x7fn) | 0x80n, 8);
      v >>= 7n;
    }
  };
  const f64 = new Float64Array(1);
  const u64 = new BigUint64Array(f64.buffer);
  // A bigint is a value's raw bits (a staleness marker's NaN payload does not survive a JS number).
  const bitsOf = (v: number | bigint) => {
    if (typeof v === 'bigint') return v;
    f64[0] = v;
    return u64[0]!;
  };
  const clz = (x: bigint) => 64 - x.toString(2).length;
  const ctz = (x: bigint) => {
    let n = 0;
    while (((x >> BigInt(n)) & 1n) === 0n) n++;
    return n;
  };
  const bitRange = (x: bigint, n: number) => -((1n << BigInt(n - 1)) - 1n) <= x && x <= 1n << BigInt(n - 1);
  let t = 0n;
  let tDelta = 0n;
  let v: number | bigint = 0;
  let leading = 0xff;
  let trailing = 0;
  const writeVDelta = (next: number | bigint) => {
    const delta = bitsOf(next) ^ bitsOf(v);
    if (delta === 0n) return write(0n, 1);
    write(1n, 1);
    let newLeading = clz(delta);
    const newTrailing = ctz(delta);
    if (newLeading >= 32) newLeading = 31;
    if (leading !== 0xff && newLeading >= leading && newTrailing >= trailing) {
      write(0n, 1);
      write(delta >> BigInt(trailing), 64 - leading - trailing);
      return;
    }
    leading = newLeading;
    trailing = newTrailing;
    write(1n, 1);
    write(BigInt(newLeading), 5);
    const sig = 64 - newLeading - newTrailing;
    write(BigInt(sig === 64 ? 0 : sig), 6);
    write(delta >> BigInt(newTrailing), sig);
  };
  samples.forEach(([ts, value], num) => {
    const time = BigInt(ts);
    if (num === 0) {
      varint(time >= 0n ? time * 2n : -time * 2n - 1n);
      write(bitsOf(value), 64);
    } else if (num === 1) {
      tDelta = time - t;
      varint(tDelta);
      writeVDelta(value);
    } else {
      const next = time - t;
      const dod = next - tDelta;
      const mask = (n: number) => (1n << BigInt(n)) - 1n;
      // [prefix, its bits, the delta of delta's bits] of the first bucket dod fits
      const [prefix, width, size] =
        dod === 0n
          ? [0n, 1, 0]
          : bitRange(dod, 14)
            ? [0b10n, 2, 14]
            : bitRange(dod, 17)
              ? [0b110n, 3, 17]
              : bitRange(dod, 20)
                ? [0b1110n, 4, 20]
                : [0b1111n, 4, 64];
      write(prefix, width);
      if (size > 0) write(dod & mask(size), size);
      tDelta = next;
      writeVDelta(value);
    }
    t = time;
    v = value;
  });
  const out = new Uint8Array(2 + Math.ceil(bits.length / 8));
  out[0] = samples.length >> 8;
  out[1] = samples.length & 0xff;
  bits.forEach((bit, i) => {
    if (bit) out[2 + (i >> 3)]! |= 0x80 >> (i & 7);
  });
  return out;
}

/** value.StaleNaN's bits (model/value/value.go). */
const STALE = 0x7ff0000000000002n;

function decode(chunk: Uint8Array, startMs = -Infinity, endMs = Infinity) {
  const out = new SampleBuilder();
  decodeXorChunk(chunk, out, startMs, endMs, -Infinity);
  return out.build().toJSON();
}

/** A ChunkedReadResponse frame: uvarint length, big-endian CRC-32C, the message (storage/remote/chunked.go). */
function frame(labels: Record<string, string>, chunks: Uint8Array[], type = 1): Uint8Array {
  const w = Writer.create();
  w.uint32((1 << 3) | 2).fork();
  for (const [name, value] of Object.entries(labels)) {
    w.uint32((1 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 2)
      .string(name)
      .uint32((2 << 3) | 2)
      .string(value)
      .ldelim();
  }
  for (const data of chunks) {
    w.uint32((2 << 3) | 2)
      .fork()
      .uint32((1 << 3) | 0)
      .int64(0)
      .uint32((3 << 3) | 0)
      .int32(type);
    w.uint32((4 << 3) | 2)
      .bytes(data)
      .ldelim();
  }
  w.ldelim();
  w.uint32((2 << 3) | 0).int64(0);
  const message = w.finish();
  const head = Writer.create().uint32(message.length).finish();
  const out = new Uint8Array(head.length + 4 + message.length);
  out.set(head);
  new DataView(out.buffer).setUint32(head.length, CRC32C.buf(message) >>> 0);
  out.set(message, head.length + 4);
  return out;
}

function parse(bytes: Uint8Array, chunkSize: number, startMs = 0, endMs = 1e13) {
  const parser = new RemoteReadParser(new Interner(), startMs, endMs);
  for (let i = 0; i < bytes.length; i += chunkSize) parser.write(bytes.subarray(i, i + chunkSize));
  return parser.end().series.map((s) => ({ metric: s.metric, points: s.points.toJSON() }));
}

const concat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
};

describe('decodeXorChunk', () => {
  const T0 = 1_772_323_200_000;

  it('reads back every timestamp bucket and value encoding of xor.go', () => {
    // Every bucket, and each one's largest positive delta of delta (+8,192, +65,536, +524,288; xor.go's
    // bitRange) and its most negative one (−8,191).
    const deltas = [30_000, 30_000, 30_001, 29_000, 30_000, 95_000, 1_000, 600_000, 31_536_000_000, 15_000];
    deltas.push(30_000, 38_192, 30_001, 95_537, 619_825, 30_000);
    const values = [0, 0, 1.5, 1.5, -2.25, 1e300, Number.NaN, Infinity, -Infinity, -0, 5e-324, 42];
    const samples: [number, number][] = [[T0, 0.25]];
    deltas
      .concat(deltas)
      .forEach((d, i) => samples.push([samples.at(-1)![0] + d, values[i % values.length]!]));
    expect(decode(xorChunk(samples))).toEqual(samples);
  });

  it('reads negative times, 64 significant bits and a long run of unchanged values', () => {
    const samples: [number, number][] = [
      [-5_000, 1],
      [-4_000, -1.0000000000000002],
      [10_000, 3.141592653589793],
    ];
    for (let i = 0; i < 300; i++) samples.push([samples.at(-1)![0] + 15_000, 3.141592653589793]);
    expect(decode(xorChunk(samples))).toEqual(samples);
  });

  it('keeps only the samples of [start, end], both ends included, and drops staleness markers', () => {
    const samples: [number, number | bigint][] = [0, 1, 2, 3, 4, 5].map((k) => [
      T0 + k * 60_000,
      k === 3 ? STALE : k,
    ]);
    expect(decode(xorChunk(samples), T0 + 60_000, T0 + 240_000)).toEqual([
      [T0 + 60_000, 1],
      [T0 + 120_000, 2],
      [T0 + 240_000, 4],
    ]);
  });

  it('refuses a truncated chunk and samples that go back in time across chunks', () => {
    const chunk = xorChunk([0, 1, 2, 3].map((k) => [T0 + k * 60_000, k * 1.1] as [number, number]));
    expect(() => decode(chunk.subarray(0, chunk.length - 3))).toThrow(/ends early/);
    const out = new SampleBuilder();
    const last = decodeXorChunk(chunk, out, 0, Infinity, -Infinity);
    expect(last).toBe(T0 + 180_000);
    expect(() => decodeXorChunk(chunk, out, 0, Infinity, last)).toThrow(/out of order/);
  });
});

describe('RemoteReadParser', () => {
  const T0 = 1_772_323_200_000;
  const a = { __name__: 'kube_pod_status_phase', phase: 'Running', uid: 'u-1' };
  const b = { __name__: 'kube_pod_status_phase', phase: 'Running', uid: 'u-2' };
  const chunkOf = (from: number, n: number, value: number) =>
    xorChunk(Array.from({ length: n }, (_, k) => [T0 + (from + k) * 60_000, value] as [number, number]));

  it('reads frames split anywhere, joins a series continued in the next frame, and skips series outside the range', () => {
    const bytes = concat(
      frame(a, [chunkOf(0, 3, 1)]),
      frame(a, [chunkOf(3, 2, 1)]),
      frame({ ...b, uid: 'u-0' }, [chunkOf(100, 2, 7)]),
      frame(b, [chunkOf(1, 2, 4), chunkOf(3, 1, 5)]),
    );
    const expected = [
      { metric: a, points: [0, 1, 2, 3, 4].map((k) => [T0 + k * 60_000, 1]) },
      {
        metric: b,
        points: [
          [T0 + 60_000, 4],
          [T0 + 120_000, 4],
          [T0 + 180_000, 5],
        ],
      },
    ];
    for (const size of [1, 2, 5, 64, bytes.length]) {
      expect(parse(bytes, size, T0, T0 + 10 * 60_000), `chunks of ${size}`).toEqual(expected);
    }
  });

  it('keeps labels named __proto__ or constructor, and reads an absent label as undefined', () => {
    // JSON.parse makes __proto__ an own property, as a label set from Prometheus has it.
    const odd = JSON.parse('{"__name__":"x","__proto__":"p","constructor":"c"}') as Record<string, string>;
    const [first, second] = parse(
      concat(frame(odd, [chunkOf(0, 1, 1)]), frame(a, [chunkOf(0, 1, 1)])),
      64,
      T0,
    );
    expect(Object.entries(first!.metric)).toEqual([
      ['__name__', 'x'],
      ['__proto__', 'p'],
      ['constructor', 'c'],
    ]);
    for (const name of ['__proto__', 'constructor', 'toString', 'cluster'])
      expect(second!.metric[name], name).toBeUndefined();
  });

  it('hands each complete series to a transform, and keeps what it returns', () => {
    const bytes = concat(
      frame(a, [chunkOf(0, 2, 1)]),
      frame(a, [chunkOf(2, 1, 1)]),
      frame(b, [chunkOf(0, 2, 4)]),
    );
    const seen: number[] = [];
    const parser = new RemoteReadParser(new Interner(), T0, T0 + 600_000, (series) => {
      seen.push(series.points.length);
      return series.metric.uid === 'u-1' ? series : undefined;
    });
    parser.write(bytes);
    expect(parser.end().series.map((s) => [s.metric.uid, s.points.length])).toEqual([['u-1', 3]]);
    expect(seen).toEqual([3, 2]);
  });

  it('refuses a frame that fails its checksum, a non-XOR chunk and an answer cut inside a frame', () => {
    const good = frame(a, [chunkOf(0, 3, 1)]);
    const bad = good.slice();
    bad[bad.length - 1]! ^= 1;
    expect(() => parse(bad, 7)).toThrow(/CRC-32C/);
    expect(() => parse(frame(a, [chunkOf(0, 3, 1)], 2), 7)).toThrow(/encoding 2 is not XOR/);
    expect(() => parse(good.subarray(0, good.length - 1), 7)).toThrow(/ends inside a frame/);
    expect(() => parse(good.subarray(0, 2), 7)).toThrow(/ends inside a frame/);
  });
});

describe('rawSelectorOf', () => {
  it('reads the matchers and range of a plain range selector, comments and escapes included', () => {
    expect(
      rawSelectorOf(
        '# a comment {x="y"}\nkube_pod_status_phase{phase="Running", uid=~"a|b" ,x!="q\\"\\\\.z", y!~\'\',}[93599999ms]\n',
      ),
    ).toEqual({
      matchers: [
        { type: MatchType.EQ, name: '__name__', value: 'kube_pod_status_phase' },
        { type: MatchType.EQ, name: 'phase', value: 'Running' },
        { type: MatchType.RE, name: 'uid', value: 'a|b' },
        { type: MatchType.NEQ, name: 'x', value: 'q"\\.z' },
        { type: MatchType.NRE, name: 'y', value: '' },
      ],
      rangeMs: 93599999,
    });
    expect(
      rawSelectorOf('{__name__=~"kube_node_info|kube_node_labels", node!=""}[5ms]')?.matchers,
    ).toHaveLength(2);
  });

  it('leaves everything but a plain selector with a range in ms to the query API', () => {
    for (const query of [
      'max_over_time(x{a="b"}[5ms])',
      'x{a="b"}[1h]',
      'x{a="b"}[5ms] offset 1m',
      'x{a="b"}[5ms] @ 100',
      'x{a="\\d"}[5ms]',
      'x{a="b"}',
      '{}[5ms]',
      'x{a="b"[5ms]',
      'x{a="b"}[5ms] or y{a="b"}[5ms]',
    ]) {
      expect(rawSelectorOf(query), query).toBeUndefined();
    }
  });
});

describe('readRequestBody', () => {
  /** The snappy block's literal back (the only element readRequestBody writes). */
  function unsnappy(block: Uint8Array): Uint8Array {
    const r = Reader.create(block);
    const length = r.uint32();
    const tag = block[r.pos]!;
    expect(tag & 3).toBe(0); // a literal
    const code = tag >> 2;
    const extra = code < 60 ? 0 : code - 59;
    let m = code < 60 ? code : 0;
    for (let k = 0; k < extra; k++) m += block[r.pos + 1 + k]! * 2 ** (8 * k);
    expect(m + 1).toBe(length);
    const body = block.subarray(r.pos + 1 + extra);
    expect(body.length).toBe(length);
    return body;
  }

  it('asks one query of the matchers over [start, end] for streamed XOR chunks, in a valid snappy block', () => {
    const matchers = [
      { type: MatchType.EQ, name: '__name__', value: 'up' },
      { type: MatchType.RE, name: 'uid', value: 'u|'.repeat(40_000) },
    ];
    const message = unsnappy(readRequestBody([matchers], 1_000, 2_000));
    const r = Reader.create(message);
    const seen: unknown[] = [];
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag === ((1 << 3) | 2)) {
        const end = r.uint32() + r.pos;
        const query: { matchers: unknown[]; start?: number; end?: number } = { matchers: [] };
        while (r.pos < end) {
          const t = r.uint32();
          if (t === 8) query.start = Number(r.int64());
          else if (t === 16) query.end = Number(r.int64());
          else {
            const mEnd = r.uint32() + r.pos;
            const m: Record<string, unknown> = {};
            while (r.pos < mEnd) {
              const f = r.uint32();
              if (f === 8) m.type = r.int32();
              else m[f === 18 ? 'name' : 'value'] = r.string();
            }
            query.matchers.push(m);
          }
        }
        seen.push(query);
      } else seen.push({ accepted: r.int32() });
    }
    expect(seen).toEqual([{ start: 1_000, end: 2_000, matchers }, { accepted: 1 }]);
  });

  it('writes the literal length in the form its size needs', () => {
    for (const n of [1, 60, 61, 256, 257, 65_536, 65_537, 70_000]) {
      const message = new Uint8Array(n).fill(7);
      expect(Buffer.from(unsnappy(snappyLiteral(message))).equals(Buffer.from(message)), String(n)).toBe(
        true,
      );
    }
  });
});

describe('PrometheusClient with readApi "remote"', () => {
  const T0 = 1_772_323_200_000;
  const SELECTOR = 'kube_pod_status_phase{phase="Running"}[120000ms]';
  const metric = { __name__: 'kube_pod_status_phase', phase: 'Running', uid: 'u-1' };
  const json = {
    status: 'success',
    data: { resultType: 'matrix', result: [{ metric, values: [[T0 / 1000, '1']] }] },
  };
  const streamed = frame(metric, [xorChunk([[T0, 1]])]);
  const CONFIG = { status: 'success', data: { yaml: 'global:\n  scrape_interval: 1m\n' } };

  type Answer = { status?: number; type?: string; body: string | Uint8Array };
  /** A client whose fetch answers `answer(path)`; every path asked, in order, and the warnings. */
  function remoteClient(answer: (path: string) => Answer) {
    const paths: string[] = [];
    const warnings: string[] = [];
    const fetch: HttpFetch = async (url) => {
      const path = new URL(url).pathname;
      paths.push(path);
      const a = answer(path);
      const bytes = typeof a.body === 'string' ? new TextEncoder().encode(a.body) : a.body;
      const headers: Record<string, string> = { 'content-type': a.type ?? 'application/json' };
      return {
        status: a.status ?? 200,
        headers: { get: (name: string) => headers[name.toLowerCase()] ?? null },
        body: (async function* () {
          yield bytes;
        })(),
        text: async () => new TextDecoder().decode(bytes),
      };
    };
    const client = new PrometheusClient({
      url: 'http://prom.local',
      fetch,
      authorize: async ({ headers }) => headers,
      headers: {},
      timeoutMs: 1000,
      maxRetries: 0,
      logger: { info() {}, warn: (m: string) => void warnings.push(m), error() {}, progress() {} },
      readApi: 'remote',
    });
    const read = () => client.queryInstant('running_phase_raw', SELECTOR, T0 + 60_000, undefined, true);
    return { client, paths, warnings, read };
  }
  const plain = (series: { metric: Record<string, string>; points: SamplePoints }[]) =>
    series.map((s) => ({ metric: s.metric, points: s.points.toJSON() }));

  it('reads a plain selector by remote read once the server is a Prometheus without external labels', async () => {
    const { client, paths, warnings, read } = remoteClient((path) =>
      path.endsWith('/status/config')
        ? { body: JSON.stringify(CONFIG) }
        : { body: streamed, type: 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse' },
    );
    expect(plain(await read())).toEqual([{ metric, points: [[T0, 1]] }]);
    expect(plain(await read())).toEqual([{ metric, points: [[T0, 1]] }]);
    expect(paths).toEqual(['/api/v1/status/config', '/api/v1/read', '/api/v1/read']);
    expect([client.stats.remoteReads, warnings]).toEqual([2, []]);
    // Anything but a plain range selector stays on the query API.
    await client.queryInstant('q', `max_over_time(${SELECTOR})`, T0, undefined, true).catch(() => []);
    expect(paths.at(-1)).toBe('/api/v1/query');
  });

  it.each([
    [
      'a backend without /api/v1/status/config',
      { config: { status: 404, body: 'not found' } },
      /answered HTTP 404/,
    ],
    [
      'a Prometheus with external labels',
      {
        config: {
          body: JSON.stringify({
            status: 'success',
            data: { yaml: 'global:\n  external_labels:\n    cluster: a\n' },
          }),
        },
      },
      /external labels \(cluster\)/,
    ],
    [
      'a failed remote read',
      { read: { status: 500, body: 'remote read failed', type: 'text/plain' } },
      /remote read of running_phase_raw failed/,
    ],
    [
      'an answer that is not streamed chunks',
      { read: { body: new Uint8Array([1, 2, 3]), type: 'application/x-protobuf' } },
      /not application\/x-streamed-protobuf/,
    ],
    ['a corrupt frame', { read: { body: streamed.slice(0, -1) } }, /not a Prometheus response/],
  ] as const)(
    'falls back to the query API for the run, with one warning, on %s',
    async (_, faults, reason) => {
      const { client, paths, warnings, read } = remoteClient((path) => {
        if (path.endsWith('/status/config'))
          return 'config' in faults ? faults.config : { body: JSON.stringify(CONFIG) };
        if (path.endsWith('/read'))
          return {
            type: 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse',
            ...('read' in faults ? faults.read : { body: streamed }),
          };
        return { body: JSON.stringify(json) };
      });
      expect(plain(await read())).toEqual([{ metric, points: [[T0, 1]] }]);
      expect(plain(await read())).toEqual([{ metric, points: [[T0, 1]] }]);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(reason);
      expect(warnings[0]).toMatch(/read through the query API for the rest of this run/);
      expect(paths.filter((p) => p.endsWith('/read')).length).toBeLessThanOrEqual(1);
      expect(paths.slice(-2)).toEqual(['/api/v1/query', '/api/v1/query']);
      expect(client.stats.remoteReads).toBe(0);
    },
  );
});
