import { describe, expect, it } from 'vitest';
import {
  formatMinorUnits,
  Money,
  minorDigits,
  toMinorUnitsHalfEven,
} from '../../../src/core/money.ts';
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
    expect(['0.125', '0.135', '0.1251', '-0.125'].map((v) => toMinorUnitsHalfEven(new Money(v), 2))).toEqual([
      12, 14, 13, -12,
    ]);
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
});
