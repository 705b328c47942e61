import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig, parseConfigText } from '../../src/config/loadConfig.ts';
import { ConfigError } from '../../src/errors.ts';

const root = resolve(import.meta.dirname, '../..');

describe('configuration', () => {
  it('accepts the documented example config', () => {
    const file = resolve(root, 'docs/config.example.yaml');
    const config = parseConfig(parseConfigText(readFileSync(file, 'utf8'), file));
    expect(config.timezone).toBe('Asia/Seoul');
    expect(config.pricing.instanceTypes['p4d.24xlarge']?.gpus).toBe(8);
    expect(config.pricing.overrides).toHaveLength(1);
  });

  it('fills safe defaults for an empty config', () => {
    const config = parseConfig({});
    expect(config.allocation.utilization.mode).toBe('allocation');
    expect(config.allocation.idle.mode).toBe('separate');
    expect(config.metering.pendingOnNode).toBe('not-charged');
    expect(config.pricing.currency).toBe('USD');
    expect(config.output.location).toBe('./reports');
  });

  it('requires a conversion rate when billing in another currency', () => {
    expect(() => parseConfig({ pricing: { currency: 'KRW' } })).toThrow(/pricing\.conversionRate: required/);
  });

  it('names an override whose instance type is not in the catalog', () => {
    const attempt = () =>
      parseConfig({
        pricing: {
          overrides: [
            { instanceType: 'x1.large', capacityType: 'spot', from: '2026-01-01T00:00:00Z', price: 1 },
          ],
        },
      });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(
      /pricing\.overrides\.0\.instanceType: "x1\.large" is not in pricing\.instanceTypes/,
    );
  });

  it('rejects unknown top-level keys instead of ignoring them', () => {
    expect(() => parseConfig({ pricng: {} })).toThrow(/pricng/);
  });
});
