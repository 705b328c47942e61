import { ownValue } from './records.ts';

/**
 * Replaces `{name}` placeholders in `template` with `values[name]` (own entries only: a `{constructor}`
 * placeholder is not filled with a function); unknown placeholders are left as they are. Each value is
 * inserted once, never filled again, so a label value such as "{count}" stays as it is.
 */
export function fill(template: string, values: Readonly<Record<string, string | number>> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = ownValue(values, name);
    return value === undefined ? whole : String(value);
  });
}
