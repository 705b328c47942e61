import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lookupGpuModel } from '../../src/core/gpuModels.ts';
import { compositeKey, ownValue, partsOf, recordOf } from '../../src/core/records.ts';

describe('ownValue', () => {
  it('answers only own entries, never what Object.prototype lends', () => {
    const record = { ml: 1 };
    expect(ownValue(record, 'ml')).toBe(1);
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'])
      expect(ownValue(record, name)).toBeUndefined();
  });
});

describe('recordOf', () => {
  it('makes "__proto__" an own entry instead of replacing the prototype', () => {
    const record = recordOf([
      ['__proto__', 1],
      ['constructor', 2],
    ]);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.keys(record)).toEqual(['__proto__', 'constructor']);
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });
});

describe('compositeKey', () => {
  it('joins plain parts with NUL, so keys sort as their parts do', () => {
    expect(compositeKey('a', 'b')).toBe('a\u0000b');
    expect(partsOf(compositeKey('a', 'b'))).toEqual(['a', 'b']);
  });

  it('never gives two different tuples the same key, whatever the parts hold (NUL, U+0001)', () => {
    const part = fc.string({ unit: fc.constantFrom('\u0000', '\u0001', 'a', '[', '"'), maxLength: 4 });
    fc.assert(
      fc.property(fc.tuple(part, part), fc.tuple(part, part), (x, y) => {
        expect(partsOf(compositeKey(...x))).toEqual(x);
        if (x[0] !== y[0] || x[1] !== y[1]) expect(compositeKey(...x)).not.toBe(compositeKey(...y));
      }),
      { numRuns: 500, seed: 9 },
    );
    expect(compositeKey('a\u0000b', 'c')).not.toBe(compositeKey('a', 'b\u0000c'));
  });
});

describe('lookupGpuModel', () => {
  it('finds a model named like an Object member only when the table has it', () => {
    expect(lookupGpuModel('constructor', new Map([['A100', 1]]))).toBeUndefined();
    expect(lookupGpuModel('constructor', new Map([['constructor', 2]]))).toEqual({
      key: 'constructor',
      value: 2,
    });
  });
});
