/**
 * Lookups keyed by data. Label values (teams, projects, namespaces, instance types, GPU models,
 * clusters…) are attacker-controlled strings: `constructor`, `toString`, `__proto__`, `hasOwnProperty`
 * and `valueOf` are as valid a team name as `ml`. A plain object read with `record[value]` answers
 * those with what it inherits from Object.prototype, and `record[value] = x` with `__proto__` replaces
 * its prototype (or is dropped). So the core keeps every table keyed by data in a `Map`, and reads the
 * few plain objects that must stay plain (JSON read back from storage, label sets) only through their
 * own entries.
 */

/** `record[key]` when `key` is the record's own entry; undefined for inherited names such as "constructor". */
export function ownValue<T>(record: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return record !== undefined && Object.hasOwn(record, key) ? record[key] : undefined;
}

/** A Map of a record's own entries, in their order (config tables keyed by label values). */
export function mapOf<T>(record: Readonly<Record<string, T>>): Map<string, T> {
  return new Map(Object.entries(record));
}

/**
 * A plain object (for JSON) of `entries`: each becomes an own data property, "__proto__" included
 * (`Object.fromEntries` defines properties, it does not assign them).
 */
export function recordOf<T>(entries: Iterable<readonly [string, T]>): Record<string, T> {
  return Object.fromEntries(entries) as Record<string, T>;
}

const SEPARATOR = '\u0000';
const ENCODED = '\u0001';

/**
 * A Map key made of several identity parts (cluster, uid, node, team…), injective whatever the parts
 * hold: joined with NUL when no part contains NUL or U+0001 (the usual case, and the order of such
 * keys is the order of their parts), else a JSON array behind U+0001 — so ("a\0b", "c") and
 * ("a", "b\0c") never share a key. {@link partsOf} reads the parts back.
 */
export function compositeKey(...parts: readonly string[]): string {
  for (const part of parts) {
    if (part.includes(SEPARATOR) || part.includes(ENCODED)) return `${ENCODED}${JSON.stringify(parts)}`;
  }
  return parts.join(SEPARATOR);
}

/** The parts of a {@link compositeKey}. */
export function partsOf(key: string): string[] {
  return key.startsWith(ENCODED) ? (JSON.parse(key.slice(ENCODED.length)) as string[]) : key.split(SEPARATOR);
}
