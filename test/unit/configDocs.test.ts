import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configKeys, renderConfigDocs } from '../../src/config/configDocs.ts';
import { CONFIG_KEY_DOCS } from '../../src/config/keyDocs.ts';

const committed = () => readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

describe('docs/configuration.md', () => {
  it('gives every key of the config schema a meaning', () => {
    const undocumented = configKeys()
      .map((k) => k.path)
      .filter((path) => !Object.hasOwn(CONFIG_KEY_DOCS, path) || !CONFIG_KEY_DOCS[path]!.trim());
    expect(undocumented).toEqual([]);
  });

  it('has no meaning for a key the schema no longer has', () => {
    const paths = new Set(configKeys().map((k) => k.path));
    expect(Object.keys(CONFIG_KEY_DOCS).filter((path) => !paths.has(path))).toEqual([]);
  });

  it('is what `npm run docs:config` writes from the schema (run it after changing the schema or keyDocs.ts)', () => {
    expect(committed()).toBe(renderConfigDocs());
  });

  it('lists source.selector and the sections of the schema with their defaults', () => {
    const text = committed();
    expect(text).toMatch(/\| `source\.selector` \| string \| — \| Extra label matchers/);
    expect(text).toContain('| `output.location` | string | `"./reports"` |');
    expect(text).toContain('| `source.auth.region` | string (kind "sigv4") | required |');
    expect(text).toContain(
      '| `pricing.overrides[].capacityType` | "on-demand" \\| "spot" \\| "committed" | required |',
    );
    for (const section of [
      'source',
      'metering',
      'pricing',
      'allocation',
      'report',
      'output',
      'cloudwatch',
      'guard',
      'clusters',
      'billing',
    ])
      expect(text).toContain(`## \`${section}\``);
  });

  it('refuses to render while a key has no meaning', () => {
    const path = 'source.selector';
    const saved = CONFIG_KEY_DOCS[path]!;
    delete CONFIG_KEY_DOCS[path];
    try {
      expect(() => renderConfigDocs()).toThrow(/without a meaning.*source\.selector/);
    } finally {
      CONFIG_KEY_DOCS[path] = saved;
    }
  });
});
