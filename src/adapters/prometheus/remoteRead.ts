/**
 * Raw samples through Prometheus' remote-read API (`POST /api/v1/read`, `source.readApi: remote`): the
 * adapter's raw reads (instant queries of a plain range selector, `sel[range]` at t) asked as one
 * remote-read query of the same matchers over [t − range, t], answered as STREAMED_XOR_CHUNKS. Prometheus
 * then sends the chunks it stores, without decoding a sample or writing JSON: a metered day's raw reads
 * cost it about half of the `count_over_time` floor instead of ≈ 3 × (docs/performance.md, "Where
 * Prometheus' CPU goes"). The answer is decoded here into the same compact series the JSON path builds,
 * sample for sample:
 * - the wire format, from prometheus/prometheus (read at d15adb9): prompb/remote.proto (ReadRequest,
 *   Query, ChunkedReadResponse), prompb/types.proto (LabelMatcher, ChunkedSeries, Chunk), the frames of
 *   storage/remote/chunked.go (uvarint length, big-endian CRC-32 Castagnoli of the message, the message;
 *   a series may continue in the next frame), and the handler storage/remote/read_handler.go
 *   (remoteReadStreamedXORChunks: whole stored chunks of every series overlapping the range, series
 *   sorted by labels, the server's external labels merged into every series). The handler reads the
 *   storage the query API reads (web/api/v1/api.go NewAPI: one queryable for both; cmd/prometheus main.go:
 *   the fanout of the local TSDB and any remote_read storages), so both see the same samples;
 * - the chunk encoding, tsdb/chunkenc/xor.go (Gorilla: a 2-byte big-endian count, the first time as a
 *   varint and value as 64 bits, the second time as a uvarint delta, then delta-of-delta times in 1, 16,
 *   20, 24 or 68 bits and values XORed with the previous one) and bstream.go (bits most significant first);
 * - what the JSON path would have returned, from promql/engine.go (v2.42, matrixIterSlice): the samples
 *   with t − range ≤ ts ≤ t, never a staleness marker (value.IsStaleNaN, the NaN with bits
 *   0x7ff0000000000002), every other value (NaN, ±Inf) kept, and no series without a sample in the range.
 * Chunks hold samples outside the range (whole chunks are sent): they are dropped here.
 */
import CRC32C from 'crc-32/crc32c.js';
import protobuf from 'protobufjs/minimal.js';
import {
  type Interner,
  Labels,
  type PromSeries,
  type PromSuccess,
  type SeriesTransform,
} from './parseResponse.ts';
import { SampleBuilder } from './samplePoints.ts';

const { Reader, Writer } = protobuf;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** prompb LabelMatcher.Type. */
export const MatchType = { EQ: 0, NEQ: 1, RE: 2, NRE: 3 } as const;
export interface LabelMatcher {
  type: (typeof MatchType)[keyof typeof MatchType];
  name: string;
  value: string;
}

/** A plain range selector: its matchers and its range. */
export interface RawSelector {
  matchers: LabelMatcher[];
  rangeMs: number;
}

/** The content type of a streamed answer (read_handler.go); anything else is not one. */
export const STREAMED_CONTENT_TYPE = 'application/x-streamed-protobuf';

const OPS: Record<string, LabelMatcher['type']> = {
  '=': MatchType.EQ,
  '!=': MatchType.NEQ,
  '=~': MatchType.RE,
  '!~': MatchType.NRE,
};
const ESCAPES: Record<string, string> = { '\\': '\\', '"': '"', "'": "'", n: '\n', t: '\t', r: '\r' };

/**
 * The matchers and range of `query` when it is exactly one plain range selector with a range in whole
 * ms (`name{a="x", b=~"y"}[123ms]`, comments and whitespace allowed: what the raw templates fill to);
 * undefined for anything else (a function, an offset, `@`, a string escape other than \\ \" \' \n \t
 * \r), which is then asked through the query API as before.
 */
export function rawSelectorOf(query: string): RawSelector | undefined {
  let i = 0;
  const n = query.length;
  const skip = () => {
    for (;;) {
      while (i < n && /\s/.test(query[i]!)) i++;
      if (query[i] !== '#') return;
      while (i < n && query[i] !== '\n') i++;
    }
  };
  const ident = (re: RegExp): string | undefined => {
    const m = re.exec(query.slice(i));
    if (!m) return undefined;
    i += m[0].length;
    return m[0];
  };
  const matchers: LabelMatcher[] = [];
  skip();
  const metric = ident(/^[A-Za-z_:][A-Za-z0-9_:]*/);
  if (metric) matchers.push({ type: MatchType.EQ, name: '__name__', value: metric });
  skip();
  if (query[i] !== '{') return undefined;
  i++;
  for (;;) {
    skip();
    if (query[i] === '}') break;
    const name = ident(/^[A-Za-z_][A-Za-z0-9_]*/);
    if (!name) return undefined;
    skip();
    const op = ident(/^(=~|!~|!=|=)/);
    if (!op) return undefined;
    skip();
    const quote = query[i];
    if (quote !== '"' && quote !== "'") return undefined;
    i++;
    let value = '';
    for (;;) {
      if (i >= n) return undefined;
      const c = query[i++]!;
      if (c === quote) break;
      if (c === '\\') {
        const e = ESCAPES[query[i++] ?? ''];
        if (e === undefined) return undefined;
        value += e;
      } else value += c;
    }
    matchers.push({ type: OPS[op]!, name, value });
    skip();
    if (query[i] === ',') {
      i++;
      continue;
    }
    if (query[i] !== '}') return undefined;
    break;
  }
  i++;
  skip();
  const range = /^\[(\d+)ms\]/.exec(query.slice(i));
  if (!range) return undefined;
  i += range[0].length;
  skip();
  if (i !== n || matchers.length === 0) return undefined;
  return { matchers, rangeMs: Number(range[1]) };
}

/**
 * A ReadRequest of one query per matcher set, each over [startMs, endMs], accepting only
 * STREAMED_XOR_CHUNKS, in the snappy block format the handler decodes (snappy.Decode): the message as one
 * uncompressed literal, which that format allows; compressing a request of a few hundred bytes would
 * save nothing.
 */
export function readRequestBody(
  matcherSets: readonly (readonly LabelMatcher[])[],
  startMs: number,
  endMs: number,
): Uint8Array {
  const w = Writer.create();
  for (const matchers of matcherSets) {
    w.uint32((1 << 3) | 2).fork(); // queries
    w.uint32((1 << 3) | 0).int64(startMs);
    w.uint32((2 << 3) | 0).int64(endMs);
    for (const m of matchers) {
      w.uint32((3 << 3) | 2).fork();
      w.uint32((1 << 3) | 0).int32(m.type);
      w.uint32((2 << 3) | 2).string(m.name);
      w.uint32((3 << 3) | 2).string(m.value);
      w.ldelim();
    }
    w.ldelim();
  }
  w.uint32((2 << 3) | 0).int32(1); // accepted_response_types: STREAMED_XOR_CHUNKS
  return snappyLiteral(w.finish());
}

/** `message` as a snappy block of one literal: the uvarint length, a literal tag, the bytes. */
export function snappyLiteral(message: Uint8Array): Uint8Array {
  const n = message.length;
  const head: number[] = [];
  for (let v = n; ; v = Math.floor(v / 128)) {
    if (v < 128) {
      head.push(v);
      break;
    }
    head.push((v % 128) | 128);
  }
  if (n === 0) return Uint8Array.from(head);
  const m = n - 1;
  if (m < 60) head.push(m << 2);
  else {
    const bytes = m < 1 << 8 ? 1 : m < 1 << 16 ? 2 : m < 1 << 24 ? 3 : 4;
    head.push((59 + bytes) << 2);
    for (let k = 0; k < bytes; k++) head.push(Math.floor(m / 2 ** (8 * k)) % 256);
  }
  const out = new Uint8Array(head.length + n);
  out.set(head);
  out.set(message, head.length);
  return out;
}

/** One series being read: its labels, its samples so far, the last sample time decoded. */
interface OpenSeries {
  key: string;
  metric: Record<string, string>;
  builder: SampleBuilder;
  lastT: number;
}

/**
 * Parses a streamed remote-read answer as it arrives (write each chunk of the body, then end), into the
 * samples of [startMs, endMs] per series. Throws RangeError on a frame that fails its checksum, an
 * unknown chunk encoding, a truncated answer or samples out of order: the answer is then not trusted.
 */
export class RemoteReadParser {
  // Bytes received and not yet parsed: whole chunks as they arrived, copied together only once a frame
  // is complete and spans several of them.
  private parts: Uint8Array[] = [];
  private buffered = 0;
  private readonly series: PromSeries[] = [];
  private open: OpenSeries | undefined;
  /** Samples in the chunks received, inside the range or not: what Prometheus read for this answer. */
  samplesSent = 0;

  // Samples of the last series read: the next one's arrays start at that size.
  private lastLength = 16;

  /**
   * @param transform applied to each series as soon as it is complete, as PrometheusResponseParser's
   *   (the answer holds what it returns, nothing for undefined).
   */
  constructor(
    private readonly interner: Interner,
    private readonly startMs: number,
    private readonly endMs: number,
    private readonly transform?: SeriesTransform,
  ) {}

  write(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.parts.push(chunk);
    this.buffered += chunk.length;
    for (;;) {
      const head = this.frameHead();
      if (!head || this.buffered < head.headLength + head.size) return;
      const bytes = this.take(head.headLength + head.size);
      const message = bytes.subarray(head.headLength);
      const crc =
        ((bytes[head.headLength - 4]! << 24) |
          (bytes[head.headLength - 3]! << 16) |
          (bytes[head.headLength - 2]! << 8) |
          bytes[head.headLength - 1]!) >>>
        0;
      if (CRC32C.buf(message) >>> 0 !== crc)
        throw new RangeError('remote read: a frame fails its CRC-32C checksum');
      this.frame(message);
    }
  }

  end(): PromSuccess {
    if (this.buffered > 0) throw new RangeError('remote read: the answer ends inside a frame');
    this.close();
    return { ok: true, resultType: 'matrix', series: this.series, warnings: [] };
  }

  /** The next frame's message size and header length (uvarint + 4 bytes of CRC), once they are in. */
  private frameHead(): { size: number; headLength: number } | undefined {
    let size = 0;
    let scale = 1;
    let k = 0;
    for (const part of this.parts) {
      for (let i = 0; i < part.length; i++, k++) {
        const b = part[i]!;
        size += (b & 0x7f) * scale;
        scale *= 128;
        if (b < 0x80) return this.buffered >= k + 5 ? { size, headLength: k + 5 } : undefined;
        if (k >= 8) throw new RangeError('remote read: a frame length is not a varint');
      }
    }
    return undefined;
  }

  private scratch = new Uint8Array(0);

  /** The next n buffered bytes (a view when they lie in one chunk). */
  private take(n: number): Uint8Array {
    const first = this.parts[0]!;
    let out: Uint8Array;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.parts.shift();
      else this.parts[0] = first.subarray(n);
    } else {
      // One buffer for every frame that spans chunks: a frame is parsed before the next is taken, and
      // nothing keeps a view of it (labels are copied into strings, samples into the series' arrays).
      if (this.scratch.length < n) this.scratch = new Uint8Array(Math.max(n, 2 * this.scratch.length));
      out = this.scratch.subarray(0, n);
      let filled = 0;
      while (filled < n) {
        const part = this.parts[0]!;
        const used = Math.min(part.length, n - filled);
        out.set(part.subarray(0, used), filled);
        filled += used;
        if (used === part.length) this.parts.shift();
        else this.parts[0] = part.subarray(used);
      }
    }
    this.buffered -= n;
    return out;
  }

  /** A ChunkedReadResponse: its chunked_series (field 1); query_index (2) is always 0 here. */
  private frame(message: Uint8Array): void {
    const r = Reader.create(message);
    while (r.pos < r.len) {
      const tag = r.uint32();
      if (tag >>> 3 === 1 && (tag & 7) === 2) this.chunkedSeries(r, r.uint32());
      else r.skipType(tag & 7);
    }
  }

  private chunkedSeries(r: protobuf.Reader, length: number): void {
    const end = r.pos + length;
    const bytes = r.buf;
    const names: string[] = [];
    const values: string[] = [];
    const chunks: Uint8Array[] = [];
    // A label string is read from its bytes (interned, a string seen before found without decoding it
    // again); chunk data is a view of the frame, not a copy.
    const text = (): string => {
      const n = r.uint32();
      const at = r.pos;
      r.pos += n;
      if (r.pos > end) throw new RangeError('remote read: a label runs past its series');
      return (
        this.interner.fromAsciiBytes(bytes, at, at + n) ??
        this.interner.intern(utf8.decode(bytes.subarray(at, at + n)))
      );
    };
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag === ((1 << 3) | 2)) {
        const labelEnd = r.uint32() + r.pos;
        let name = '';
        let value = '';
        while (r.pos < labelEnd) {
          const t = r.uint32();
          if (t === ((1 << 3) | 2)) name = text();
          else if (t === ((2 << 3) | 2)) value = text();
          else r.skipType(t & 7);
        }
        names.push(name);
        values.push(value);
      } else if (tag === ((2 << 3) | 2)) {
        const chunkEnd = r.uint32() + r.pos;
        let type = 0;
        let data: Uint8Array | undefined;
        while (r.pos < chunkEnd) {
          const t = r.uint32();
          if (t === ((3 << 3) | 0)) type = r.int32();
          else if (t === ((4 << 3) | 2)) {
            const n = r.uint32();
            data = bytes.subarray(r.pos, r.pos + n);
            r.pos += n;
          } else r.skipType(t & 7);
        }
        if (r.pos > end) throw new RangeError('remote read: a chunk runs past its series');
        if (type !== 1)
          throw new RangeError(`remote read: chunk encoding ${type} is not XOR (float samples)`);
        chunks.push(data ?? new Uint8Array(0));
      } else r.skipType(tag & 7);
    }
    let key = '';
    for (let k = 0; k < names.length; k++) key += `${names[k]}\u0000${values[k]}\u0000`;
    if (this.open?.key !== key) {
      this.close();
      // Inheriting nothing, as the query API's parser builds label sets (a label named __proto__ stays one).
      const metric = new Labels() as Record<string, string>;
      for (let k = 0; k < names.length; k++) metric[names[k]!] = values[k]!;
      // Sized to the samples its chunks hold (an upper bound: some may lie outside the range), so the
      // arrays rarely grow; the last series' length when the chunks say nothing.
      let upper = 0;
      for (const data of chunks) if (data.length >= 2) upper += (data[0]! << 8) | data[1]!;
      const capacity = upper > 0 ? upper : this.lastLength;
      this.open = { key, metric, builder: new SampleBuilder(capacity), lastT: -Infinity };
    }
    const open = this.open;
    for (const data of chunks) {
      if (data.length >= 2) this.samplesSent += (data[0]! << 8) | data[1]!;
      open.lastT = decodeXorChunk(data, open.builder, this.startMs, this.endMs, open.lastT);
    }
  }

  private close(): void {
    const open = this.open;
    this.open = undefined;
    // A series without a sample in the range is not in a query's answer either.
    if (!open || open.builder.length === 0) return;
    this.lastLength = Math.max(16, open.builder.length);
    const series = { metric: open.metric, points: open.builder.build() };
    const kept = this.transform ? this.transform(series) : series;
    if (kept) this.series.push(kept);
  }
}

// The float64 bits of a value, as two uint32 halves (little- or big-endian platform alike).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LITTLE ? 1 : 0;
const LO = LITTLE ? 0 : 1;

/**
 * The n <= 25 bits of `data` from bit `pos` on (most significant first, bstream.go), as a number: a
 * 4-byte window from pos's byte (bytes past the end read as 0; the decoder checks pos against the length).
 */
function peekBits(data: Uint8Array, pos: number, n: number): number {
  const i = pos >>> 3;
  const word = (data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!;
  return (word << (pos & 7)) >>> (32 - n);
}

/** The n <= 32 bits of `data` from bit `pos` on. */
function wideBits(data: Uint8Array, pos: number, n: number): number {
  return n > 25
    ? peekBits(data, pos, n - 16) * 65536 + peekBits(data, pos + n - 16, 16)
    : peekBits(data, pos, n);
}

/**
 * Decodes one XOR chunk (tsdb/chunkenc/xor.go) into `out`, keeping the samples with startMs ≤ t ≤ endMs
 * that are not staleness markers. `lastT` is the series' last sample time so far (samples must ascend
 * across its chunks); returns the new one. One loop, locals only: it runs for every raw sample read.
 */
export function decodeXorChunk(
  data: Uint8Array,
  out: SampleBuilder,
  startMs: number,
  endMs: number,
  lastT: number,
): number {
  if (data.length < 2) throw new RangeError('remote read: a chunk is shorter than its header');
  const total = (data[0]! << 8) | data[1]!;
  const bitLength = data.length * 8;
  let pos = 16;
  let t = 0;
  let delta = 0;
  let hi = 0;
  let lo = 0;
  let leading = 0;
  let trailing = 0;
  for (let read = 0; read < total; read++) {
    if (read < 2) {
      // byte-aligned: a (zigzag) varint time, or a uvarint delta
      let v = 0;
      let scale = 1;
      for (let k = 0; ; k++) {
        if (k === 10) throw new RangeError('remote read: a chunk holds a malformed varint');
        const b = data[pos >>> 3]!;
        pos += 8;
        v += (b & 0x7f) * scale;
        if (b < 0x80) break;
        scale *= 128;
      }
      if (read === 0) {
        t = v % 2 === 0 ? v / 2 : -(v + 1) / 2;
        hi = wideBits(data, pos, 32);
        lo = wideBits(data, pos + 32, 32);
        pos += 64;
      } else {
        delta = v;
        t += delta;
      }
    } else {
      // delta of delta: 0 | 10 + 14 bits | 110 + 17 | 1110 + 20 | 1111 + 64 (xor.go: values above
      // 1 << (size − 1) are negative)
      const prefix = peekBits(data, pos, 4);
      if (prefix < 0b1000) pos += 1;
      else if (prefix < 0b1100) {
        const v = peekBits(data, pos + 2, 14);
        pos += 16;
        delta += v > 8192 ? v - 16384 : v;
      } else if (prefix < 0b1110) {
        const v = peekBits(data, pos + 3, 17);
        pos += 20;
        delta += v > 65536 ? v - 131072 : v;
      } else if (prefix < 0b1111) {
        const v = peekBits(data, pos + 4, 20);
        pos += 24;
        delta += v > 524288 ? v - 1048576 : v;
      } else {
        const h = wideBits(data, pos + 4, 32);
        delta += (h >= 2147483648 ? h - 4294967296 : h) * 4294967296 + wideBits(data, pos + 36, 32);
        pos += 68;
      }
      t += delta;
    }
    if (read > 0) {
      // the value: 0 unchanged | 10 + the significant bits at the previous leading/trailing zeros |
      // 11 + 5 bits of leading zeros + 6 bits of significant count (0 = 64) + the significant bits
      const control = peekBits(data, pos, 2);
      if (control < 0b10) pos += 1;
      else {
        pos += 2;
        if (control === 0b11) {
          const lengths = peekBits(data, pos, 11);
          pos += 11;
          leading = lengths >>> 6;
          trailing = 64 - leading - (lengths & 63 || 64);
        }
        const significant = 64 - leading - trailing;
        let xHi = 0;
        let xLo: number;
        if (significant > 32) {
          xHi = wideBits(data, pos, significant - 32);
          xLo = wideBits(data, pos + significant - 32, 32);
        } else xLo = wideBits(data, pos, significant);
        pos += significant;
        // (xHi, xLo) << trailing as 64 bits (no bit of xHi reaches past 32: significant + trailing <= 64)
        if (trailing >= 32) {
          xHi = (xLo << (trailing - 32)) >>> 0;
          xLo = 0;
        } else if (trailing > 0) {
          xHi = ((xHi << trailing) | (xLo >>> (32 - trailing))) >>> 0;
          xLo = (xLo << trailing) >>> 0;
        }
        hi = (hi ^ xHi) >>> 0;
        lo = (lo ^ xLo) >>> 0;
      }
    }
    if (pos > bitLength) throw new RangeError('remote read: a chunk ends early');
    if (t <= lastT) throw new RangeError('remote read: samples out of order within a series');
    lastT = t;
    if (t < startMs || t > endMs || (hi === 0x7ff00000 && lo === 2)) continue; // outside, or a staleness marker
    u32[HI] = hi;
    u32[LO] = lo;
    out.push(t, f64[0]!);
  }
  return lastT;
}
