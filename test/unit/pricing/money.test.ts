import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  absRatio,
  divideRatio,
  exactDecimal,
  formatExact,
  formatFixed,
  formatMinorUnits,
  formatTrimmed,
  minorDigits,
  ratioToDisplayNumber,
  signOf,
  subtractRatio,
  sumDecimals,
  toMinorUnitsHalfEven,
  trimTrailingZeros,
} from '../../../src/core/money.ts';

const d = exactDecimal;
import { parseConfig } from '../../../src/config/loadConfig.ts';
import { ConfigError } from '../../../src/errors.ts';

describe('money', () => {
  it('knows the ISO 4217 minor units of USD, KRW, JPY and KWD', () => {
    expect(['USD', 'KRW', 'JPY', 'KWD'].map(minorDigits)).toEqual([2, 0, 0, 3]);
  });

  it('rejects, in the config schema, a currency whose minor unit it does not know', () => {
    expect(minorDigits('XYZ')).toBeUndefined();
    const attempt = () => parseConfig({ pricing: { currency: 'XYZ', conversionRate: '1' } });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/pricing\.currency: has no known ISO 4217 minor unit \(known: AED, .*USD/);
  });

  it('rounds half to even', () => {
    expect(
      ['0.125', '0.135', '0.1251', '-0.125'].map((v) => toMinorUnitsHalfEven(exactDecimal(v), 2)),
    ).toEqual([12, 14, 13, -12]);
  });

  it('formats minor units exactly', () => {
    expect([
      formatMinorUnits(1234, 2),
      formatMinorUnits(5, 2),
      formatMinorUnits(0, 2),
      formatMinorUnits(17488, 0),
    ]).toEqual(['12.34', '0.05', '0.00', '17488']);
    expect(formatMinorUnits(900719925474099, 2)).toBe('9007199254740.99');
  });

  describe('exact decimal arithmetic (what the summary, the advice and the PDF compute with)', () => {
    it('adds, subtracts and divides decimal strings exactly', () => {
      expect(formatExact(sumDecimals(['0.10', '0.20', '1e-2']))).toBe('0.31');
      expect(formatExact(subtractRatio(d('0.3'), d('0.1')))).toBe('0.2');
      expect(formatFixed(divideRatio(d('1'), d('-3')), 4)).toBe('-0.3333');
      expect(() => divideRatio(d('1'), d('0'))).toThrow(RangeError);
      expect([signOf(d('-0.00')), signOf(d('-0.01')), signOf(d('7'))]).toEqual([0, -1, 1]);
      expect(formatExact(absRatio(d('-12.5')))).toBe('12.5');
    });

    it('formats with a fixed number of decimals, half to even or half away from zero', () => {
      expect(['1.005', '1.015', '-1.005', '2.5'].map((v) => formatFixed(d(v), 2))).toEqual([
        '1.00',
        '1.02',
        '-1.00',
        '2.50',
      ]);
      expect(['1.005', '-1.005', '2.5', '-0.004'].map((v) => formatFixed(d(v), 2, 'half-up'))).toEqual([
        '1.01',
        '-1.01',
        '2.50',
        '0.00',
      ]);
      expect([
        formatFixed(d('2.5'), 0),
        formatFixed(d('3.5'), 0),
        formatFixed(d('2.5'), 0, 'half-up'),
      ]).toEqual(['2', '4', '3']);
    });

    it('drops trailing zeros after rounding half to even at the given decimals', () => {
      expect(formatTrimmed(divideRatio(d('5.672'), d('4')), 10)).toBe('1.418');
      expect(formatTrimmed(divideRatio(d('1'), d('3')), 6)).toBe('0.333333');
      expect(formatTrimmed(d('0.0000005'), 6)).toBe('0');
      expect(formatTrimmed(d('0.0000015'), 6)).toBe('0.000002');
    });

    it('writes a terminating ratio exactly and refuses one without a finite decimal expansion', () => {
      expect([
        formatExact(divideRatio(d('1'), d('8'))),
        formatExact(d('1385.20')),
        formatExact(d('0')),
      ]).toEqual(['0.125', '1385.2', '0']);
      expect(() => formatExact(divideRatio(d('1'), d('3')))).toThrow(RangeError);
    });

    it('turns a ratio into a display number through 20 significant digits, not float division', () => {
      // 2/3 x 100 to 20 digits is 66.666666666666666667, whose nearest double is 66.66666666666667.
      expect(ratioToDisplayNumber(divideRatio(d('200'), d('3')))).toBe(66.66666666666667);
      expect(ratioToDisplayNumber(d('-0.125'))).toBe(-0.125);
      expect(ratioToDisplayNumber(d('123456789012345678901234'))).toBe(Number('1.2345678901234567890e23'));
      expect(ratioToDisplayNumber(divideRatio(d('1'), d('7000000')), 3)).toBe(1.43e-7);
      expect(ratioToDisplayNumber(d('0'))).toBe(0);
    });
  });

  it('trims trailing zeros exactly as the regular expression /\\.?0+$/ would (property)', () => {
    expect(['12.500', '3.000', '100.000000', '0.10', '12', '1.001'].map(trimTrailingZeros)).toEqual([
      '12.5',
      '3',
      '100',
      '0.1',
      '12',
      '1.001',
    ]);
    fc.assert(
      fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true }), fc.integer({ min: 0, max: 8 }), (x, d) => {
        const text = x.toFixed(d);
        expect(trimTrailingZeros(text)).toBe(text.replace(/\.?0+$/, ''));
      }),
      { numRuns: 500 },
    );
  });
});
