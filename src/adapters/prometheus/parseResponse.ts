import { SampleBuilder, SamplePoints } from './samplePoints.ts';

/** One series of a Prometheus result: its labels and its samples (epoch ms, finite values >= 0 only). */
export interface PromSeries {
  metric: Record<string, string>;
  points: SamplePoints;
}

/** A successful response, after dropping unusable samples. */
export interface PromSuccess {
  ok: true;
  resultType: 'matrix' | 'vector' | 'scalar' | 'string';
  series: PromSeries[];
  /** Warnings from Prometheus itself, plus one per kind of dropped sample. */
  warnings: string[];
}

/** An error body (`status: "error"`). */
export interface PromFailure {
  ok: false;
  errorType: string;
  error: string;
  warnings: string[];
}

const NUMBER_RE = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses a Prometheus sample value string. Prometheus writes floats as strings and spells the
 * special values "NaN", "+Inf" and "-Inf"; anything else that is not a decimal number is rejected.
 */
export function parseSampleValue(text: string): number {
  switch (text) {
    case 'NaN':
      return Number.NaN;
    case '+Inf':
    case 'Inf':
      return Number.POSITIVE_INFINITY;
    case '-Inf':
      return Number.NEGATIVE_INFINITY;
  }
  if (!NUMBER_RE.test(text)) throw new RangeError(`not a Prometheus sample value: ${JSON.stringify(text)}`);
  return Number(text);
}

/** Strings seen once are shared (label names and values repeat across series and answers). */
export class Interner {
  private readonly strings = new Map<string, string>();
  // The same strings by a hash of their bytes (ASCII ones only), so that a label read again is found
  // from its bytes without decoding them into a new string first.
  private readonly byHash = new Map<number, string | string[]>();
  constructor(private readonly limit = 500_000) {}

  intern(value: string): string {
    const known = this.strings.get(value);
    if (known !== undefined) return known;
    // Bounded: a long-running process drops the table instead of growing with every pod ever seen.
    if (this.strings.size >= this.limit) {
      this.strings.clear();
      this.byHash.clear();
    }
    this.strings.set(value, value);
    return value;
  }

  /**
   * The string `bytes[start, end)` spells when every byte is ASCII (then UTF-8 and latin1 agree, and no
   * byte is part of an escape the caller has not ruled out), interned; undefined for any other byte.
   * A string seen before is returned without making a new one.
   */
  fromAsciiBytes(bytes: Uint8Array, start: number, end: number): string | undefined {
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) {
      const c = bytes[i]!;
      if (c >= 0x80) return undefined;
      h = Math.imul(h ^ c, 0x01000193);
    }
    const found = this.byHash.get(h);
    if (found !== undefined) {
      if (typeof found === 'string') {
        if (sameAscii(found, bytes, start, end)) return found;
      } else {
        for (const s of found) if (sameAscii(s, bytes, start, end)) return s;
      }
    }
    const text = this.intern(latin1(bytes.subarray(start, end)));
    if (found === undefined) this.byHash.set(h, text);
    else if (typeof found === 'string') this.byHash.set(h, [found, text]);
    else found.push(text);
    return text;
  }
}

function sameAscii(s: string, bytes: Uint8Array, start: number, end: number): boolean {
  if (s.length !== end - start) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== bytes[start + i]) return false;
  return true;
}

/**
 * A series' label set: an object whose prototype has no properties and no prototype, so that nothing is
 * inherited (a label named __proto__, constructor or toString is a label like any other, and a label
 * that is absent reads as undefined), yet, unlike Object.create(null), with V8's fast properties: label
 * sets of the same names in the same order share a shape, and reading a label is an inline-cached load.
 */
export const Labels = function Labels() {} as unknown as new () => object;
Labels.prototype = Object.create(null) as object;

/** What a parser keeps of each series it reads (PrometheusResponseParser's `transform`). */
export type SeriesTransform = (series: PromSeries) => PromSeries | undefined;

/**
 * Parses a Prometheus API answer (query or query_range) as it streams in: `write` each chunk of the
 * body, then `end`. Samples go straight into typed arrays (SamplePoints) and label strings are
 * interned, so neither the body's text nor a tree of JSON arrays is ever held. Sample times become
 * epoch ms; NaN, infinite and negative samples are dropped (a GPU count or a utilization cannot be any of
 * these) and each kind dropped is reported as a warning with its count; series left without a sample
 * are left out. `end` throws a RangeError when the body is not a Prometheus API response (bad JSON,
 * another shape, a sample value Prometheus would not write), as a truncated transfer is.
 */
export class PrometheusResponseParser {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true });
  // Tokenizer state across chunks: inside a string (and whether it has escapes), or a bare token.
  private mode: 'between' | 'string' | 'bare' = 'between';
  private pending: Uint8Array[] = [];
  private escaped = false;
  private hasEscape = false;
  // What has been read.
  private status: string | undefined;
  private resultType: string | undefined;
  private errorType = 'unknown';
  private error = '';
  private readonly warnings: string[] = [];
  private readonly series: PromSeries[] = [];
  private scalar: [number, string] | undefined;
  private scalarParts: (number | string)[] = [];
  private readonly dropped = { NaN: 0, infinite: 0, negative: 0 };
  // The path of containers: each frame is what the container is and, for objects, the current key.
  private readonly stack: FrameState[] = [];
  private metric: Record<string, string> | undefined;
  private samples: SampleBuilder | undefined;
  private pair: (number | string)[] = [];
  // The pair's value (its second element) was a quoted decimal read straight from the bytes (fastDecimal).
  private pairValueRead = false;
  private sawRoot = false;
  // Samples of the answer's previous series (newSeriesBuilder).
  private lastSeriesLength = 0;
  // With a transform: the one builder every series is read into (newSeriesBuilder), its samples handed
  // to the transform as views and let go, so reading a raw answer allocates nothing per series. Without
  // one, for a raw answer (keepEveryValue): the slab its series' samples are views of.
  private scratch: SampleBuilder | undefined;

  /**
   * @param keepEveryValue keep NaN, infinite and negative samples (raw answers from which the adapter
   *   evaluates PromQL itself, rawSteps.ts: a NaN last sample must stay the last sample).
   * @param transform applied to each series of a matrix or vector as soon as it is read (its samples are
   *   then garbage unless it keeps them): the answer holds what it returns (nothing for undefined). The
   *   adapter evaluates a raw answer's series one at a time this way instead of holding all their samples.
   */
  constructor(
    private readonly interner: Interner = new Interner(),
    private readonly keepEveryValue = false,
    private readonly transform?: SeriesTransform,
  ) {}

  write(chunk: Uint8Array): void {
    let i = 0;
    const n = chunk.length;
    if (this.mode === 'string') {
      i = this.continueString(chunk, 0);
      if (i < 0) return;
    } else if (this.mode === 'bare') {
      i = this.continueBare(chunk, 0);
      if (i < 0) return;
    }
    while (i < n) {
      const c = chunk[i]!;
      if (c === 0x22) {
        this.mode = 'string';
        this.escaped = false;
        this.hasEscape = false;
        // Empty already unless a token was left unfinished: no new array for every label and value.
        if (this.pending.length !== 0) this.pending = [];
        i = this.continueString(chunk, i + 1);
        if (i < 0) return;
      } else if (c === 0x7b) {
        this.open('object');
        i++;
      } else if (c === 0x5b) {
        const after = this.inValues() ? this.readWholePair(chunk, i) : -1;
        if (after > 0) i = after;
        else {
          this.open('array');
          i++;
        }
      } else if (c === 0x7d || c === 0x5d) {
        this.close(c === 0x7d ? 'object' : 'array');
        i++;
      } else if (c === 0x2c || c === 0x3a || c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) {
        i++;
      } else {
        this.mode = 'bare';
        if (this.pending.length !== 0) this.pending = [];
        i = this.continueBare(chunk, i);
        if (i < 0) return;
      }
    }
  }

  /** The response: success or failure; throws a RangeError when it is not a Prometheus API response. */
  end(): PromSuccess | PromFailure {
    if (this.mode !== 'between' || this.stack.length > 0 || !this.sawRoot) {
      throw new RangeError('not a Prometheus API response: the body ends inside a value');
    }
    if (this.status === 'error') {
      return { ok: false, errorType: this.errorType, error: this.error, warnings: this.warnings };
    }
    if (this.status !== 'success') {
      throw new RangeError(`not a Prometheus API response: status ${JSON.stringify(this.status ?? null)}`);
    }
    const type = this.resultType;
    if (type !== 'matrix' && type !== 'vector' && type !== 'scalar' && type !== 'string') {
      throw new RangeError(`not a Prometheus API response: resultType ${JSON.stringify(type ?? null)}`);
    }
    if (type === 'scalar') {
      if (!this.scalar) throw new RangeError('not a Prometheus API response: a scalar without its value');
      const [t, v] = this.scalar;
      const b = new SampleBuilder(1);
      this.addSample(b, t, v);
      if (b.length > 0) this.series.push({ metric: {}, points: b.build() });
    }
    const warnings = [...this.warnings];
    for (const [kind, count] of Object.entries(this.dropped)) {
      if (count > 0) warnings.push(`dropped ${count} ${kind} sample${count === 1 ? '' : 's'}`);
    }
    return { ok: true, resultType: type, series: type === 'string' ? [] : this.series, warnings };
  }

  /** Reads string bytes from `start`; the index after the closing quote, or -1 when the chunk ends first. */
  private continueString(chunk: Uint8Array, start: number): number {
    let escaped = this.escaped;
    for (let j = start; j < chunk.length; j++) {
      const c = chunk[j]!;
      if (escaped) {
        escaped = false;
      } else if (c === 0x5c) {
        escaped = true;
        this.hasEscape = true;
      } else if (c === 0x22) {
        this.mode = 'between';
        if (this.readQuotedSampleValue(chunk, start, j)) return j + 1;
        if (this.pending.length === 0 && !this.hasEscape) {
          const ascii = this.interner.fromAsciiBytes(chunk, start, j);
          if (ascii !== undefined) {
            this.onString(ascii, true);
            return j + 1;
          }
        }
        const bytes = this.joined(chunk.subarray(start, j));
        this.onString(this.decodeString(bytes));
        return j + 1;
      }
    }
    this.escaped = escaped;
    this.pending.push(chunk.slice(start));
    return -1;
  }

  /** Reads a number or a literal from `start`; the index after it, or -1 when the chunk ends first. */
  private continueBare(chunk: Uint8Array, start: number): number {
    let j = start;
    while (j < chunk.length) {
      const c = chunk[j]!;
      if (
        c === 0x2c ||
        c === 0x7d ||
        c === 0x5d ||
        c === 0x20 ||
        c === 0x0a ||
        c === 0x0d ||
        c === 0x09 ||
        c === 0x3a
      )
        break;
      j++;
    }
    if (j === chunk.length) {
      this.pending.push(chunk.slice(start));
      return -1;
    }
    this.mode = 'between';
    if (this.readSampleTime(chunk, start, j)) return j;
    const text = latin1(this.joined(chunk.subarray(start, j)));
    this.onBare(text);
    return j;
  }

  /**
   * A series' samples, sized like the previous series of the answer: the series of one answer (one
   * metric over one span) mostly hold the same number of samples, so most are read without growing
   * their arrays, and a series that fills them exactly is built without a copy.
   */
  private newSeriesBuilder(): SampleBuilder {
    if (this.transform) {
      const scratch = (this.scratch ??= new SampleBuilder(Math.max(16, this.lastSeriesLength)));
      scratch.reset();
      return scratch;
    }
    if (this.keepEveryValue) {
      // A raw answer the adapter evaluates and lets go whole: its series share slabs (SampleBuilder.take).
      const slab = (this.scratch ??= new SampleBuilder(SLAB_FIRST));
      slab.reset();
      return slab;
    }
    return new SampleBuilder(Math.max(16, this.lastSeriesLength));
  }

  /** True inside a series' `values` array, where every element is a [t, "v"] pair. */
  private inValues(): boolean {
    const n = this.stack.length;
    return n > 0 && this.stack[n - 1]!.kind === 'values';
  }

  /**
   * The hot path of a range answer (and of the raw reads the adapter evaluates): one whole sample
   * `[<time>,"<value>"]` at `start` (its `[`), exactly as Prometheus writes it (no spaces, plain
   * decimals), read from the bytes in one pass without touching the container stack. The index after
   * its `]`, or -1 (nothing consumed) for anything else — a pair split across chunks, spaces, an escape,
   * NaN or ±Inf, an exponent, a time or value fastDecimal does not read exactly — which the general
   * path then reads (and validates) as before. The sample added is the one the general path adds.
   */
  private readWholePair(chunk: Uint8Array, start: number): number {
    const n = chunk.length;
    const samples = (this.samples ??= this.newSeriesBuilder());
    // The samples that follow (`,[`) are read here too, without going back through the token loop; the
    // first one it declines ends the run there (the index after the last one read, -1 for none).
    let after = -1;
    for (let at = start; ;) {
      const ms = readMs(chunk, at + 1);
      const j = readEnd;
      if (ms < 0 || j + 1 >= n || chunk[j] !== 0x2c || chunk[j + 1] !== 0x22) return after;
      // The value's digits and point, read as fastDecimal reads them, in the same pass that finds its end.
      let mantissa = 0;
      let digits = 0;
      let fraction = -1;
      let k = j + 2;
      for (; k < n; k++) {
        const c = chunk[k]!;
        if (c === 0x2e) {
          if (fraction >= 0) return after;
          fraction = 0;
        } else if (c >= 0x30 && c <= 0x39) {
          mantissa = mantissa * 10 + (c - 0x30);
          if (mantissa > SAFE) return after;
          digits++;
          if (fraction >= 0) fraction++;
        } else break;
      }
      if (k + 1 >= n || chunk[k] !== 0x22 || chunk[k + 1] !== 0x5d) return after;
      if (digits === 0 || fraction > 22) return after;
      // A plain decimal is finite and not negative: kept whatever keepEveryValue says (as addSample).
      samples.push(ms, fraction <= 0 ? mantissa : mantissa / POW10[fraction]!);
      after = k + 2;
      if (after + 1 < n && chunk[after] === 0x2c && chunk[after + 1] === 0x5b) at = after + 1;
      else return after;
    }
  }

  /**
   * A sample's time (`[t, "v"]`'s first element) read from its bytes without making a string: most of
   * an answer is sample times and values, so this and readQuotedSampleValue are the parser's hot path.
   * False (nothing consumed) for anything fastDecimal does not read exactly: onBare then handles it.
   */
  private readSampleTime(chunk: Uint8Array, start: number, end: number): boolean {
    if (this.pending.length > 0 || this.pair.length !== 0 || this.slotOf() !== 'pairElement') return false;
    const t = fastDecimal(chunk, start, end);
    if (t === undefined) return false;
    this.pair.push(t);
    return true;
  }

  /** A sample's quoted value (`[t, "v"]`'s second element) read from its bytes; as readSampleTime. */
  private readQuotedSampleValue(chunk: Uint8Array, start: number, end: number): boolean {
    if (this.pending.length > 0 || this.hasEscape || this.pair.length !== 1) return false;
    if (this.slotOf() !== 'pairElement') return false;
    const v = fastDecimal(chunk, start, end);
    if (v === undefined) return false;
    this.pair.push(v);
    this.pairValueRead = true;
    return true;
  }

  private joined(last: Uint8Array): Uint8Array {
    if (this.pending.length === 0) return last;
    const parts = [...this.pending, last];
    this.pending = [];
    const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  private decodeString(bytes: Uint8Array): string {
    let text: string;
    try {
      text = this.decoder.decode(bytes);
    } catch {
      throw new RangeError('not a Prometheus API response: a string that is not UTF-8');
    }
    if (!this.hasEscape) return text;
    try {
      return JSON.parse(`"${text}"`) as string;
    } catch {
      throw new RangeError('not a Prometheus API response: a string with a bad escape');
    }
  }

  // ------------------------------------------------------------------ structure

  private get top(): FrameState | undefined {
    return this.stack[this.stack.length - 1];
  }

  /** What the value that starts now is, from the container it is in. */
  private slotOf(): Slot {
    const top = this.top;
    if (!top) return this.sawRoot ? 'invalid' : 'root';
    if (top.kind === 'skipped') return 'skip';
    if (top.object && top.expectKey) return 'invalid';
    switch (top.kind) {
      case 'root':
        return ROOT_SLOTS[top.key ?? ''] ?? 'skip';
      case 'data':
        return top.key === 'resultType' ? 'resultType' : top.key === 'result' ? 'result' : 'skip';
      case 'result':
        return 'item';
      case 'item':
        return top.key === 'metric'
          ? 'metric'
          : top.key === 'values'
            ? 'values'
            : top.key === 'value'
              ? 'pair'
              : 'skip';
      case 'metric':
        return 'labelValue';
      case 'values':
        return 'pair';
      case 'pair':
        return 'pairElement';
      case 'strings':
        return 'stringElement';
    }
  }

  private open(container: 'object' | 'array'): void {
    const slot = this.slotOf();
    const object = container === 'object';
    let kind: Frame;
    if (slot === 'skip') kind = 'skipped';
    else if (slot === 'root' && object) {
      kind = 'root';
      this.sawRoot = true;
    } else if (slot === 'data' && object) kind = 'data';
    else if (slot === 'result' && !object) kind = 'result';
    else if (slot === 'item' && object) {
      kind = 'item';
      this.metric = undefined;
      this.samples = undefined;
    } else if (slot === 'metric' && object) {
      kind = 'metric';
      // No inherited properties: a label named __proto__ stays a label (as JSON.parse keeps it).
      this.metric = new Labels() as Record<string, string>;
    } else if (slot === 'values' && !object) {
      kind = 'values';
      this.samples ??= this.newSeriesBuilder();
    } else if (slot === 'pair' && !object) {
      kind = 'pair';
      this.pair = [];
      this.pairValueRead = false;
    } else if (slot === 'strings' && !object) kind = 'strings';
    else throw new RangeError(`not a Prometheus API response: unexpected ${container} (${slot})`);
    this.stack.push({ kind, object, key: undefined, expectKey: object });
  }

  private close(container: 'object' | 'array'): void {
    const frame = this.stack.pop();
    if (!frame || frame.object !== (container === 'object') || (frame.object && !frame.expectKey)) {
      throw new RangeError('not a Prometheus API response: mismatched brackets');
    }
    if (frame.kind === 'item') {
      if (!this.metric) throw new RangeError('not a Prometheus API response: a result without its metric');
      const samples = this.samples;
      if (this.transform) {
        // The series' samples are views of the scratch builder (newSeriesBuilder): what the transform
        // keeps of them is copied, as the next series overwrites them.
        const points = samples?.view() ?? SamplePoints.EMPTY;
        if (points.length > 0) {
          const kept = this.transform({ metric: this.metric, points });
          if (kept && samples!.owns(kept.points)) {
            const copy = new SamplePoints(kept.points.tsMs.slice(), kept.points.values.slice());
            this.series.push({ ...kept, points: copy });
          } else if (kept) this.series.push(kept);
        }
      } else {
        const points =
          samples === undefined
            ? SamplePoints.EMPTY
            : samples === this.scratch
              ? samples.take()
              : samples.build();
        if (points.length > 0) this.series.push({ metric: this.metric, points });
      }
      if (this.samples) this.lastSeriesLength = this.samples.length;
      this.metric = undefined;
      this.samples = undefined;
    } else if (frame.kind === 'pair') {
      const [t, v] = this.pair;
      const quoted = typeof v === 'string' || (typeof v === 'number' && this.pairValueRead);
      if (this.pair.length !== 2 || typeof t !== 'number' || v === undefined || !quoted) {
        throw new RangeError('not a Prometheus API response: a sample that is not [time, "value"]');
      }
      this.samples ??= new SampleBuilder(1);
      this.addSample(this.samples, t, v);
    } else if (frame.kind === 'result' && this.scalarParts.length > 0) {
      const [t, v] = this.scalarParts;
      if (this.scalarParts.length !== 2 || typeof t !== 'number' || typeof v !== 'string') {
        throw new RangeError('not a Prometheus API response: a scalar that is not [time, "value"]');
      }
      this.scalar = [t, v];
    }
    this.valueDone();
  }

  /** A value completed in the current container: an object expects its next key. */
  private valueDone(): void {
    const top = this.top;
    if (top?.object) top.expectKey = true;
  }

  /** A string value or key; `interned` when it already is (Interner.fromAsciiBytes). */
  private onString(text: string, interned = false): void {
    const top = this.top;
    if (top?.object && top.expectKey) {
      top.key = top.kind === 'metric' && !interned ? this.interner.intern(text) : text;
      top.expectKey = false;
      return;
    }
    const slot = this.slotOf();
    switch (slot) {
      case 'skip':
        break;
      case 'status':
        this.status = text;
        break;
      case 'errorType':
        this.errorType = text;
        break;
      case 'error':
        this.error = text;
        break;
      case 'resultType':
        this.resultType = text;
        break;
      case 'labelValue':
        this.metric![top!.key!] = interned ? text : this.interner.intern(text);
        break;
      case 'pairElement':
        this.pair.push(text);
        break;
      case 'stringElement':
        this.warnings.push(text);
        break;
      case 'item':
        // A scalar or string result is [t, "v"] directly in "result".
        this.scalarParts.push(text);
        break;
      case 'root':
      case 'data':
      case 'strings':
      case 'result':
      case 'metric':
      case 'values':
      case 'pair':
      case 'invalid':
        throw new RangeError(`not a Prometheus API response: unexpected string (${slot})`);
    }
    this.valueDone();
  }

  private onBare(text: string): void {
    const slot = this.slotOf();
    if (slot === 'pairElement' || slot === 'item') {
      const t = Number(text);
      if (!NUMBER_RE.test(text) || !Number.isFinite(t)) {
        throw new RangeError(`not a Prometheus API response: a sample time ${JSON.stringify(text)}`);
      }
      if (slot === 'pairElement') this.pair.push(t);
      else this.scalarParts.push(t);
    } else if (slot !== 'skip' && !(text === 'null' && (slot === 'strings' || slot === 'result'))) {
      throw new RangeError(`not a Prometheus API response: unexpected ${text} (${slot})`);
    }
    this.valueDone();
  }

  private addSample(into: SampleBuilder, t: number, text: string | number): void {
    // Prometheus writes plain decimals for almost every sample: those need no pattern check (and most
    // arrive already read by fastDecimal).
    const v = typeof text === 'number' ? text : simpleDecimal(text) ? Number(text) : parseSampleValue(text);
    if (this.keepEveryValue) into.push(Math.round(t * 1000), v);
    else if (Number.isNaN(v)) this.dropped.NaN++;
    else if (!Number.isFinite(v)) this.dropped.infinite++;
    else if (v < 0) this.dropped.negative++;
    else into.push(Math.round(t * 1000), v);
  }
}

interface FrameState {
  kind: Frame;
  object: boolean;
  key: string | undefined;
  expectKey: boolean;
}

type Frame = 'root' | 'data' | 'result' | 'item' | 'metric' | 'values' | 'pair' | 'strings' | 'skipped';
type Slot =
  | 'root'
  | 'status'
  | 'data'
  | 'errorType'
  | 'error'
  | 'strings'
  | 'resultType'
  | 'result'
  | 'item'
  | 'metric'
  | 'labelValue'
  | 'values'
  | 'pair'
  | 'pairElement'
  | 'stringElement'
  | 'skip'
  | 'invalid';

const ROOT_SLOTS: Record<string, Slot> = {
  status: 'status',
  data: 'data',
  errorType: 'errorType',
  error: 'error',
  warnings: 'strings',
  infos: 'strings',
};

/** Samples of a raw answer's first slab (newSeriesBuilder): 64 KiB an array, a small answer's whole. */
const SLAB_FIRST = 8192;

/** Digits with at most one point and no sign or exponent: Number() reads them exactly as the pattern allows. */
function simpleDecimal(text: string): boolean {
  if (text.length === 0) return false;
  let dots = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2e) {
      if (++dots > 1) return false;
    } else if (c < 0x30 || c > 0x39) return false;
  }
  return text.length > dots;
}

/** Where the last readMs stopped (the byte after the time it read). */
let readEnd = 0;

/**
 * A sample time in epoch seconds (`1790812800` or `1790812800.123`, plain digits) read from `start` as
 * integer epoch ms; readEnd is set to the byte after it. Exactly what Math.round(fastDecimal(time) · 1000)
 * gives (the general path): with at most 3 digits after the point the time is an integer number of ms,
 * which both compute exactly below 2^53 ms. -1 for anything else (no digit first, more than 12 digits
 * before the point, none or more than 3 after it): the caller then declines the pair to the general path.
 */
function readMs(bytes: Uint8Array, start: number): number {
  const n = bytes.length;
  let i = start;
  let ms = 0;
  while (i < n) {
    const c = bytes[i]!;
    if (c < 0x30 || c > 0x39) break;
    ms = ms * 10 + (c - 0x30);
    i++;
  }
  const whole = i - start;
  if (whole === 0 || whole > 12) return -1;
  let fraction = 0;
  if (i < n && bytes[i] === 0x2e) {
    i++;
    while (i < n) {
      const c = bytes[i]!;
      if (c < 0x30 || c > 0x39) break;
      if (++fraction > 3) return -1;
      ms = ms * 10 + (c - 0x30);
      i++;
    }
    if (fraction === 0) return -1;
  }
  readEnd = i;
  return fraction === 3 ? ms : ms * POW10[3 - fraction]!;
}

const SAFE = Number.MAX_SAFE_INTEGER;
/** 10^0 … 10^22: every one is a double exactly. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));

/**
 * The number `bytes[start, end)` spells when it is plain digits with at most one point (what Prometheus
 * writes: Go's strconv.FormatFloat(f, 'f', -1, 64), no sign or exponent), its digits form an integer of at
 * most 2^53 − 1 and it has at most 22 digits after the point; else undefined. Then the integer and
 * 10^fraction-digits are both doubles exactly and IEEE division rounds once, so the result is the
 * correctly rounded value: exactly what Number(text) returns (Clinger's fast path).
 */
export function fastDecimal(bytes: Uint8Array, start: number, end: number): number | undefined {
  let mantissa = 0;
  let digits = 0;
  let fraction = -1;
  for (let i = start; i < end; i++) {
    const c = bytes[i]!;
    if (c === 0x2e) {
      if (fraction >= 0) return undefined;
      fraction = 0;
      continue;
    }
    if (c < 0x30 || c > 0x39) return undefined;
    mantissa = mantissa * 10 + (c - 0x30);
    if (mantissa > SAFE) return undefined;
    digits++;
    if (fraction >= 0) fraction++;
  }
  if (digits === 0 || fraction > 22) return undefined;
  return fraction <= 0 ? mantissa : mantissa / POW10[fraction]!;
}

function latin1(bytes: Uint8Array): string {
  // apply, not a spread: a spread of a typed array goes through its iterator (an object per byte).
  return bytes.length < 64
    ? String.fromCharCode.apply(null, bytes as unknown as number[])
    : Buffer.from(bytes).toString('latin1');
}

/**
 * Parses a whole Prometheus API answer (text or bytes): see PrometheusResponseParser. Throws a RangeError
 * when it is not a Prometheus API response.
 */
export function parsePrometheusResponse(
  body: string | Uint8Array,
  interner?: Interner,
): PromSuccess | PromFailure {
  const parser = new PrometheusResponseParser(interner);
  parser.write(typeof body === 'string' ? new TextEncoder().encode(body) : body);
  return parser.end();
}

const TOO_LARGE_RE =
  /too many samples|would load too many|query timed out|timeout|exceeded maximum resolution|max(imum)? number of (series|chunks|samples)|query length|limit exceeded|too large/i;

/** True when Prometheus (or Thanos/Mimir/AMP) refused a query for its size or run time: split it and retry. */
export function isTooLargeError(status: number, errorType: string, error: string): boolean {
  if (errorType === 'timeout') return true;
  if (status === 429 && !TOO_LARGE_RE.test(error)) return false;
  return (
    (status === 422 || status === 400 || status === 503 || status === 200 || status === 429) &&
    TOO_LARGE_RE.test(error)
  );
}
