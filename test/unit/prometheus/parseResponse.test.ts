import { describe, expect, it } from 'vitest';
import {
  isTooLargeError,
  parsePrometheusResponse as parseText,
  parseSampleValue,
} from '../../../src/adapters/prometheus/index.ts';
import fc from 'fast-check';
import {
  fastDecimal,
  Interner,
  PrometheusResponseParser,
} from '../../../src/adapters/prometheus/parseResponse.ts';
import { SamplePoints } from '../../../src/adapters/prometheus/samplePoints.ts';

/** Parses a body given as an object (serialized the way Prometheus writes it). */
const parsePrometheusResponse = (body: unknown) => parseText(JSON.stringify(body));

describe('parseSampleValue', () => {
  it.each([
    ['1', 1],
    ['0.25', 0.25],
    ['-3', -3],
    ['1e3', 1000],
    ['+Inf', Number.POSITIVE_INFINITY],
    ['-Inf', Number.NEGATIVE_INFINITY],
  ])('reads %s as %s', (text, value) => {
    expect(parseSampleValue(text)).toBe(value);
  });

  describe('edge cases', () => {
    it('reads "NaN" as NaN', () => {
      expect(parseSampleValue('NaN')).toBeNaN();
    });

    it.each(['', 'abc', '1,5', '0x10', 'nan'])('rejects %j', (text) => {
      expect(() => parseSampleValue(text)).toThrow(RangeError);
    });
  });
});

const matrix = (values: [number, string][]) => ({
  status: 'success',
  data: { resultType: 'matrix', result: [{ metric: { node: 'n1' }, values }] },
});

describe('parsePrometheusResponse', () => {
  it.each([
    [
      'keeps finite non-negative samples in ms',
      matrix([
        [1700000000, '4'],
        [1700000060.5, '0'],
      ]),
      [
        [1700000000000, 4],
        [1700000060500, 0],
      ],
      [],
    ],
    [
      'drops NaN with a warning',
      matrix([
        [1, 'NaN'],
        [2, '1'],
      ]),
      [[2000, 1]],
      ['dropped 1 NaN sample'],
    ],
    [
      'drops +Inf and -Inf with a warning',
      matrix([
        [1, '+Inf'],
        [2, '-Inf'],
        [3, '2'],
      ]),
      [[3000, 2]],
      ['dropped 2 infinite samples'],
    ],
    [
      'drops negative samples with a warning',
      matrix([
        [1, '-1'],
        [2, '3'],
      ]),
      [[2000, 3]],
      ['dropped 1 negative sample'],
    ],
  ])('%s', (_name, body, points, warnings) => {
    const parsed = parsePrometheusResponse(body);
    expect(parsed.ok && [...parsed.series[0]!.points]).toEqual(points);
    expect(parsed.warnings).toEqual(warnings);
  });

  it('reads an instant vector as one point per series', () => {
    const parsed = parsePrometheusResponse({
      status: 'success',
      data: { resultType: 'vector', result: [{ metric: { uid: 'u' }, value: [1700000000, '2'] }] },
      warnings: ['PromQL info: metric might not be a counter'],
    });
    expect(parsed).toEqual({
      ok: true,
      resultType: 'vector',
      series: [{ metric: { uid: 'u' }, points: SamplePoints.of([[1700000000000, 2]]) }],
      warnings: ['PromQL info: metric might not be a counter'],
    });
  });

  it('returns an error body as a failure value', () => {
    const parsed = parsePrometheusResponse({
      status: 'error',
      errorType: 'bad_data',
      error: 'parse error at char 3',
    });
    expect(parsed).toEqual({
      ok: false,
      errorType: 'bad_data',
      error: 'parse error at char 3',
      warnings: [],
    });
  });

  describe('edge cases', () => {
    it('drops a series whose every sample was unusable', () => {
      const parsed = parsePrometheusResponse(matrix([[1, 'NaN']]));
      expect(parsed.ok && parsed.series).toEqual([]);
    });

    it('throws on a body that is not a Prometheus response', () => {
      expect(() => parsePrometheusResponse({ data: [] })).toThrow(/not a Prometheus API response/);
    });

    it('throws on a sample value that is not a number', () => {
      expect(() => parsePrometheusResponse(matrix([[1, 'many']]))).toThrow(RangeError);
    });
  });
});

describe('isTooLargeError', () => {
  it.each([
    [422, 'execution', 'query processing would load too many samples into memory in query execution', true],
    [503, 'timeout', 'query timed out in expression evaluation', true],
    [
      400,
      'bad_data',
      'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution',
      true,
    ],
    [400, 'bad_data', '1:5: parse error: unexpected "}"', false],
    [503, 'unavailable', 'too many requests in flight', false],
    [429, 'unknown', 'rate limited', false],
  ])('classifies HTTP %i %s "%s" as too large: %s', (status, type, error, expected) => {
    expect(isTooLargeError(status, type, error)).toBe(expected);
  });

  describe('edge cases', () => {
    it('treats a Mimir series limit on a 422 as too large', () => {
      expect(isTooLargeError(422, 'execution', 'the query hit the max number of series limit')).toBe(true);
    });
  });
});

describe('PrometheusResponseParser (answers as they stream in)', () => {
  const body = JSON.stringify({
    status: 'success',
    data: {
      resultType: 'matrix',
      result: [
        {
          metric: { __name__: 'x', namespace: 'ml', pod: 'tr\u00e4in-\u4f8b', note: 'say "hi"\\ok\n' },
          values: [
            [1700000000, '0.5'],
            [1700000060.25, '1e3'],
            [1700000120, 'NaN'],
          ],
        },
        {
          metric: { namespace: 'ml', pod: 'b' },
          values: [[1700000000, '2']],
          histograms: [[1, { count: '1' }]],
        },
      ],
    },
    stats: { timings: { evalTotalTime: 0.1 }, samples: { totalQueryableSamples: 4 } },
    warnings: ['w1'],
  });

  it('reads a body split anywhere, even byte by byte, as it reads the whole', () => {
    const bytes = new TextEncoder().encode(body);
    const whole = parseText(bytes);
    for (const size of [1, 2, 3, 7, 64]) {
      const parser = new PrometheusResponseParser();
      for (let i = 0; i < bytes.length; i += size) parser.write(bytes.subarray(i, i + size));
      expect(parser.end(), `chunks of ${size}`).toEqual(whole);
    }
    expect(whole).toEqual({
      ok: true,
      resultType: 'matrix',
      series: [
        {
          metric: { __name__: 'x', namespace: 'ml', pod: 'tr\u00e4in-\u4f8b', note: 'say "hi"\\ok\n' },
          points: SamplePoints.of([
            [1700000000000, 0.5],
            [1700000060250, 1000],
          ]),
        },
        { metric: { namespace: 'ml', pod: 'b' }, points: SamplePoints.of([[1700000000000, 2]]) },
      ],
      warnings: ['w1', 'dropped 1 NaN sample'],
    });
  });

  it('keeps what its transform makes of each series as it is read, and nothing for undefined', () => {
    const seen: number[] = [];
    const parser = new PrometheusResponseParser(undefined, false, (series) => {
      seen.push(series.points.length);
      return series.metric.pod === 'b'
        ? undefined
        : { metric: { pod: series.metric.pod! }, points: SamplePoints.of([[0, series.points.length]]) };
    });
    parser.write(new TextEncoder().encode(body));
    expect(seen).toEqual([2, 1]);
    expect(parser.end()).toEqual({
      ok: true,
      resultType: 'matrix',
      series: [{ metric: { pod: 'tr\u00e4in-\u4f8b' }, points: SamplePoints.of([[0, 2]]) }],
      warnings: ['w1', 'dropped 1 NaN sample'],
    });
  });

  it('reads every series it transforms into the same arrays, and copies what a transform keeps of them', () => {
    const buffers = new Set<ArrayBufferLike>();
    const parser = new PrometheusResponseParser(undefined, true, (series) => {
      buffers.add(series.points.tsMs.buffer);
      // Kept as given: the answer must still hold each series' own samples.
      return series;
    });
    parser.write(new TextEncoder().encode(body));
    expect(buffers.size).toBe(1);
    const raw = new PrometheusResponseParser(undefined, true);
    raw.write(new TextEncoder().encode(body));
    expect(parser.end()).toEqual(raw.end());
  });

  it("puts a raw answer's series in shared arrays, each series its own samples", () => {
    const parser = new PrometheusResponseParser(undefined, true);
    parser.write(new TextEncoder().encode(body));
    const parsed = parser.end();
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    const [a, b] = parsed.series;
    expect(b!.points.tsMs.buffer).toBe(a!.points.tsMs.buffer);
    expect(a!.points.toJSON()).toEqual([
      [1700000000000, 0.5],
      [1700000060250, 1000],
      [1700000120000, Number.NaN],
    ]);
    expect(b!.points.toJSON()).toEqual([[1700000000000, 2]]);
  });

  it('shares the strings of labels between series and answers', () => {
    const parser = new PrometheusResponseParser();
    parser.write(new TextEncoder().encode(body));
    const parsed = parser.end();
    expect(parsed.ok && Object.keys(parsed.series[0]!.metric)[1]).toBe('namespace');
  });

  it('reads a scalar answer', () => {
    expect(
      parseText('{"status":"success","data":{"resultType":"scalar","result":[1700000000,"3"]}}'),
    ).toEqual({
      ok: true,
      resultType: 'scalar',
      series: [{ metric: {}, points: SamplePoints.of([[1700000000000, 3]]) }],
      warnings: [],
    });
  });

  describe('edge cases', () => {
    it('reads sample times of every plain shape to the millisecond, in one chunk or split', () => {
      const times = [
        '1700000000',
        '1700000000.5',
        '1700000000.25',
        '1700000000.125',
        '1700000000.1235',
        '1700000000.',
        '17000000000000',
      ];
      const text = `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[${times
        .map((t, i) => `[${t},"${i}"]`)
        .join(',')}]}]}}`;
      const expected = SamplePoints.of([
        [1700000000000, 0],
        [1700000000500, 1],
        [1700000000250, 2],
        [1700000000125, 3],
        [Math.round(1700000000.1235 * 1000), 4],
        [1700000000000, 5],
        [17000000000000000, 6],
      ]);
      const bytes = new TextEncoder().encode(text);
      for (const size of [bytes.length, 5]) {
        const parser = new PrometheusResponseParser();
        for (let i = 0; i < bytes.length; i += size) parser.write(bytes.subarray(i, i + size));
        const parsed = parser.end();
        expect(parsed.ok && [...parsed.series[0]!.points], `chunks of ${size}`).toEqual([...expected]);
      }
    });

    it.each([
      ['a body cut short', body.slice(0, body.length - 10)],
      ['a body cut inside a string', body.slice(0, body.indexOf('tr\u00e4in') + 2)],
      ['no status', '{"data":{"resultType":"matrix","result":[]}}'],
      [
        'a sample that is not [time, "value"]',
        '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,2]]}]}}',
      ],
      [
        'a sample with a third element',
        '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"2",3]]}]}}',
      ],
      [
        'a sample without its value',
        '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1]]}]}}',
      ],
      [
        'a sample without its time',
        '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[,"2"]]}]}}',
      ],
      [
        'a sample time with two points',
        '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1.2.3,"2"]]}]}}',
      ],
      [
        'a sample cut short at the end of the body',
        '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[[1,"2"',
      ],
      [
        'a sample time that is not a number',
        '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":["1","2"]}]}}',
      ],
      [
        'a value Prometheus would not write',
        '{"status":"success","data":{"resultType":"vector","result":[{"metric":{},"value":[1,"0x10"]}]}}',
      ],
      [
        'a result without its metric',
        '{"status":"success","data":{"resultType":"vector","result":[{"value":[1,"2"]}]}}',
      ],
      ['not JSON at all', '<html>bad gateway</html>'],
    ])('refuses %s as not a Prometheus response', (_name, text) => {
      expect(() => parseText(text)).toThrow(/not a Prometheus (API response|sample value)/);
    });
  });
});

describe('label sets inherit nothing', () => {
  it('keeps labels named __proto__, constructor or toString, and reads an absent label as undefined', () => {
    // Prometheus label names are [a-zA-Z_][a-zA-Z0-9_]*: each of these is one a series may carry.
    const body = `{"status":"success","data":{"resultType":"vector","result":[{"metric":{"__proto__":"p","constructor":"c","toString":"t","pod":"a"},"value":[1700000000,"1"]},{"metric":{"pod":"b"},"value":[1700000000,"2"]}]}}`;
    const parsed = parseText(new TextEncoder().encode(body));
    if (!parsed.ok) throw new Error('not parsed');
    const [first, second] = parsed.series.map((s) => s.metric);
    expect(Object.entries(first!)).toEqual([
      ['__proto__', 'p'],
      ['constructor', 'c'],
      ['toString', 't'],
      ['pod', 'a'],
    ]);
    expect(first!.__proto__).toBe('p');
    expect(first!.constructor).toBe('c');
    // What cluster and replica labels read when a series has none (source.clusterLabel may be any name).
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'cluster'])
      expect(second![name], name).toBeUndefined();
    expect(JSON.stringify(first)).toBe('{"__proto__":"p","constructor":"c","toString":"t","pod":"a"}');
    expect({ ...second }).toEqual({ pod: 'b' });
  });
});

describe('Interner.fromAsciiBytes (label strings found from their bytes)', () => {
  const read = (interner: Interner, text: string) => {
    const bytes = new TextEncoder().encode(`"${text}"`);
    return interner.fromAsciiBytes(bytes, 1, bytes.length - 1);
  };

  it('gives the string the bytes spell, the same one each time, and declines non-ASCII bytes', () => {
    const interner = new Interner();
    const first = read(interner, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE');
    expect(first).toBe('DCGM_FI_PROF_GR_ENGINE_ACTIVE');
    expect(read(interner, 'DCGM_FI_PROF_GR_ENGINE_ACTIVE')).toBe(first);
    expect(interner.intern('DCGM_FI_PROF_GR_ENGINE_ACTIVE')).toBe(first);
    expect(read(interner, '')).toBe('');
    expect(read(interner, 'tr\u00e4in-\u4f8b')).toBeUndefined();
  });

  it('tells apart strings whose bytes hash alike (FNV-1a 32-bit: 520988850)', () => {
    const interner = new Interner();
    expect(read(interner, 'pod-6jvf0c6z')).toBe('pod-6jvf0c6z');
    expect(read(interner, 'pod-ap1sylw2')).toBe('pod-ap1sylw2');
    expect(read(interner, 'pod-6jvf0c6z')).toBe('pod-6jvf0c6z');
    expect(read(interner, 'pod-ap1sylw2')).toBe('pod-ap1sylw2');
  });

  it('reads label values in an answer exactly as the general path decodes them', () => {
    fc.assert(
      fc.property(
        fc.array(fc.string({ unit: 'binary', maxLength: 12 }), { minLength: 1, maxLength: 8 }),
        (values) => {
          const result = values.map((v, i) => ({ metric: { pod: v, i: String(i) }, values: [[1, '1']] }));
          const text = JSON.stringify({ status: 'success', data: { resultType: 'matrix', result } });
          const parsed = parseText(text);
          expect(parsed.ok && parsed.series.map((s) => s.metric.pod)).toEqual(values);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('fastDecimal (sample times and values read from their bytes)', () => {
  const bytesOf = (text: string) => new TextEncoder().encode(text);
  const read = (text: string) => fastDecimal(bytesOf(`[${text}]`), 1, text.length + 1);

  it('reads every plain decimal exactly as Number() does, or declines it', () => {
    // Shortest round-trip decimals of arbitrary doubles (what Go's FormatFloat 'f', -1 writes), and
    // decimals of up to 25 digits on either side of the point.
    const plain = fc.double({ min: 0, max: 1e12, noNaN: true }).map((d) => {
      const t = d.toString();
      return t.includes('e') ? d.toFixed(20).replace(/0+$/, '') : t;
    });
    const digits = fc
      .tuple(fc.stringMatching(/^[0-9]{1,25}$/), fc.option(fc.stringMatching(/^[0-9]{0,25}$/)))
      .map(([a, b]) => (b === null ? a : `${a}.${b}`));
    fc.assert(
      fc.property(fc.oneof(plain, digits), (text) => {
        const v = read(text);
        if (v !== undefined) expect(Object.is(v, Number(text)), text).toBe(true);
      }),
      { numRuns: 20_000 },
    );
    // Many leading zeros after the point: a small integer over more than 10^22 is declined or exact.
    for (const zeros of [20, 21, 22, 23, 30]) {
      const text = `0.${'0'.repeat(zeros)}7`;
      const v = read(text);
      if (v !== undefined) expect(Object.is(v, Number(text)), text).toBe(true);
    }
    // The common shapes are read, not declined.
    for (const text of ['0', '1', '8', '0.5', '0.53', '1700000060.25', '0.5333333333333333', '0.00001'])
      expect(read(text), text).toBe(Number(text));
  });

  describe('edge cases', () => {
    it.each(['', '.', '1.2.3', '-1', '+1', '1e3', 'NaN', '+Inf', '0x10', '9007199254740993', '1 '])(
      'declines %j (the string path decides)',
      (text) => {
        expect(read(text)).toBeUndefined();
      },
    );
  });
});

describe('PrometheusResponseParser reads what JSON.parse reads', () => {
  it('gives the same samples as JSON.parse + Number for random answers, whole or in chunks', () => {
    const sample = fc.tuple(
      fc.integer({ min: 1_600_000_000_000, max: 1_800_000_000_000 }).map((ms) => ms / 1000),
      fc.oneof(
        fc.double({ min: 0, max: 1e9, noNaN: true }).map(String),
        fc.constantFrom('NaN', '+Inf', '-Inf', '-1', '1e-7', '12345678901234567890', '0.1234567890123456789'),
      ),
    );
    const answer = fc.array(fc.array(sample, { minLength: 1, maxLength: 20 }), { maxLength: 5 });
    fc.assert(
      fc.property(
        answer,
        // Small chunks split pairs; a whole body in one chunk reads every plain pair in one pass.
        fc.oneof(fc.integer({ min: 1, max: 50 }), fc.constant(1 << 20)),
        // Prometheus writes no spaces; an answer with them is read (by the general path) all the same.
        fc.boolean(),
        (seriesList, size, spaced) => {
          const result = seriesList.map((values, i) => ({ metric: { pod: `p${i}` }, values }));
          const text = JSON.stringify(
            { status: 'success', data: { resultType: 'matrix', result } },
            null,
            spaced ? 1 : undefined,
          );
          const bytes = new TextEncoder().encode(text);
          const parser = new PrometheusResponseParser();
          for (let i = 0; i < bytes.length; i += size) parser.write(bytes.subarray(i, i + size));
          const parsed = parser.end();
          const expected = result
            .map(({ metric, values }) => ({
              metric,
              points: values
                .map(([t, v]) => [Math.round(t * 1000), parseSampleValue(v)] as [number, number])
                .filter(([, v]) => Number.isFinite(v) && v >= 0),
            }))
            .filter((s) => s.points.length > 0);
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          expect(parsed.series.map((s) => ({ metric: { ...s.metric }, points: [...s.points] }))).toEqual(
            expected,
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});
