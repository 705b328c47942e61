/**
 * Pure helpers for PromQL text: filling the named placeholders of the templates in `queries/*.promql`
 * and building the small fragments (label lists, matchers, durations) that go into them.
 */

const PLACEHOLDER_RE = /\{\{([A-Za-z_][A-Za-z0-9_]*)\}\}/g;

/**
 * Replaces every `{{name}}` in `template` with `params[name]`. Throws when the template uses a name
 * that `params` lacks, or when `params` has a name the template never uses (a typo either way would
 * otherwise produce a query that silently selects the wrong series).
 */
export function fillQuery(template: string, params: Record<string, string>): string {
  const used = new Set<string>();
  const missing = new Set<string>();
  const filled = template.replace(PLACEHOLDER_RE, (_match, name: string) => {
    used.add(name);
    const value = params[name];
    if (value === undefined) {
      missing.add(name);
      return '';
    }
    return value;
  });
  if (missing.size > 0) {
    throw new RangeError(
      `query template needs parameter(s) ${[...missing].map((n) => `{{${n}}}`).join(', ')}`,
    );
  }
  const unused = Object.keys(params).filter((name) => !used.has(name));
  if (unused.length > 0) {
    throw new RangeError(`query template does not use parameter(s) ${unused.join(', ')}`);
  }
  return filled;
}

const LABEL_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Returns `name` when it is a valid Prometheus label name; throws otherwise (label names are spliced into queries). */
export function assertLabelName(name: string): string {
  if (!LABEL_NAME_RE.test(name)) throw new RangeError(`"${name}" is not a valid Prometheus label name`);
  return name;
}

/**
 * A grouping-label prefix for `by (...)` clauses: each label followed by ", " (so templates write
 * `by ({{cluster}}namespace, pod)`); empty for an empty list. Duplicates are removed, order kept.
 */
export function labelPrefix(names: readonly string[]): string {
  return [...new Set(names)].map((n) => `${assertLabelName(n)}, `).join('');
}

/** A PromQL duration in whole milliseconds, e.g. 59999 -> "59999ms". */
export function durationMs(ms: number): string {
  if (!Number.isInteger(ms) || ms <= 0)
    throw new RangeError(`duration must be a positive whole number of ms, got ${ms}`);
  return `${ms}ms`;
}

/**
 * Extra matchers to append inside a selector's braces: "" or `, <selector>`. Every template has at
 * least one matcher of its own, so the result always follows one. Rejects braces (a selector is a
 * list of matchers, not a whole selector).
 */
export function extraMatchers(selector: string | undefined): string {
  const trimmed = (selector ?? '').trim().replace(/^,\s*/, '');
  if (trimmed === '') return '';
  if (/[{}]/.test(trimmed))
    throw new RangeError(
      `source.selector must be label matchers such as cluster=~"prod-.*", got ${selector}`,
    );
  return `, ${trimmed}`;
}

/** Text escaped for the inside of a PromQL double-quoted string: backslash, double quote, line feed. */
function escapeString(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

/** A label value as a PromQL double-quoted string, quotes included (for `label="..."`). */
export function quotedValue(value: string): string {
  return `"${escapeString(value)}"`;
}

/**
 * A regex that matches exactly the given literal values (for `label=~"..."`), escaped for RE2 and for a
 * PromQL double-quoted string. Prometheus looks such an alternation up in its index value by value.
 */
export function literalAlternation(values: readonly string[]): string {
  if (values.length === 0) throw new RangeError('literalAlternation needs at least one value');
  return escapeString([...new Set(values)].map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'));
}

/**
 * The matcher that narrows a selector to these pods by uid, as a template's `{{uids}}` takes it
 * (`, uid=~"<uid>|<uid>"`); at least one uid.
 */
export function uidMatcher(uids: readonly string[]): string {
  return `, uid=~"${literalAlternation(uids)}"`;
}
