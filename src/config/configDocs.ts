import { z } from 'zod';
import { configSchema } from './schema.ts';
import { CONFIG_KEY_DOCS } from './keyDocs.ts';

/** A JSON Schema node as `z.toJSONSchema` writes it (only the parts the reference reads). */
interface JsonSchemaNode {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  format?: string;
  default?: unknown;
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
  additionalProperties?: JsonSchemaNode | boolean;
  items?: JsonSchemaNode;
  oneOf?: JsonSchemaNode[];
  anyOf?: JsonSchemaNode[];
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  minLength?: number;
  minItems?: number;
  pattern?: string;
}

/** One key of the configuration, as the reference lists it. */
export interface ConfigKey {
  /** Dotted path; `*` stands for a name the user chooses (a team, an instance type), `[]` for a list item. */
  path: string;
  type: string;
  /** The default as JSON, `required`, or `—` (absent unless set). */
  defaultText: string;
}

const isObjectNode = (node: JsonSchemaNode) =>
  node.type === 'object' && (node.properties !== undefined || typeof node.additionalProperties === 'object');

function typeOf(node: JsonSchemaNode): string {
  const variants = node.oneOf ?? node.anyOf;
  if (variants) {
    if (variants.every((v) => v.const !== undefined))
      return variants.map((v) => JSON.stringify(v.const)).join(' | ');
    return 'one of the kinds below';
  }
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  if (node.type === 'array') return `list of ${node.items ? typeOf(node.items) : 'values'}`;
  if (node.type === 'object') {
    if (node.properties) return 'object';
    if (typeof node.additionalProperties === 'object')
      return `map of name → ${typeOf(node.additionalProperties)}`;
    return 'object';
  }
  const bounds: string[] = [];
  if (node.exclusiveMinimum !== undefined) bounds.push(`> ${node.exclusiveMinimum}`);
  if (node.minimum !== undefined) bounds.push(`≥ ${node.minimum}`);
  // Number.MAX_SAFE_INTEGER is zod's bound of every integer, not a limit of the setting.
  if (node.maximum !== undefined && node.maximum !== Number.MAX_SAFE_INTEGER)
    bounds.push(`≤ ${node.maximum}`);
  const base = node.format === 'uri' ? 'URL' : (node.type ?? 'any');
  return bounds.length > 0 ? `${base} (${bounds.join(', ')})` : base;
}

function defaultOf(node: JsonSchemaNode, required: boolean): string {
  if (node.default !== undefined) {
    // A section's default is the defaults of its keys, listed on their own rows.
    if (isObjectNode(node) && node.properties) return '(section)';
    return `\`${JSON.stringify(node.default)}\``;
  }
  return required ? 'required' : '—';
}

/** Lists every key of a JSON Schema, depth first, in the schema's own order. */
function collectKeys(
  node: JsonSchemaNode,
  path: string,
  required: boolean,
  into: Map<string, ConfigKey>,
): void {
  if (path !== '' && !into.has(path))
    into.set(path, { path, type: typeOf(node), defaultText: defaultOf(node, required) });
  const variants = node.oneOf ?? node.anyOf;
  if (variants && !variants.every((v) => v.const !== undefined)) {
    // A discriminated union (source.auth): the keys of every kind; `kind` lists all kinds.
    const kinds = variants.map((v) => v.properties?.kind?.const).filter((k) => k !== undefined);
    into.set(`${path}.kind`, {
      path: `${path}.kind`,
      type: kinds.map((k) => JSON.stringify(k)).join(' | '),
      defaultText: 'required',
    });
    for (const variant of variants) {
      const kind = String(variant.properties?.kind?.const);
      for (const [name, child] of Object.entries(variant.properties ?? {})) {
        if (name === 'kind') continue;
        const childRequired = (variant.required ?? []).includes(name);
        collectKeys(child, `${path}.${name}`, childRequired, into);
        const key = into.get(`${path}.${name}`)!;
        if (!key.type.includes('(kind ')) key.type = `${key.type} (kind ${JSON.stringify(kind)})`;
      }
    }
    return;
  }
  if (node.type === 'object' && node.properties) {
    for (const [name, child] of Object.entries(node.properties)) {
      collectKeys(child, path === '' ? name : `${path}.${name}`, (node.required ?? []).includes(name), into);
    }
  } else if (node.type === 'object' && typeof node.additionalProperties === 'object') {
    const child = node.additionalProperties;
    if (isObjectNode(child) || child.oneOf || child.anyOf) collectKeys(child, `${path}.*`, false, into);
  } else if (node.type === 'array' && node.items && isObjectNode(node.items)) {
    const items = node.items;
    for (const [name, child] of Object.entries(items.properties ?? {})) {
      collectKeys(child, `${path}[].${name}`, (items.required ?? []).includes(name), into);
    }
  }
}

/** Every key of the config schema (as a file states it: defaults optional), in the schema's order. */
export function configKeys(): ConfigKey[] {
  const jsonSchema = z.toJSONSchema(configSchema, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  const keys = new Map<string, ConfigKey>();
  collectKeys(jsonSchema, '', false, keys);
  return [...keys.values()];
}

const escapeCell = (text: string) => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

/**
 * docs/configuration.md: every key of the config schema with its type, default and meaning. Generated
 * (`npm run docs:config`) from the schema and the meanings in keyDocs.ts; a test fails when the file is
 * stale or a key has no meaning. Throws naming the keys without a meaning.
 */
export function renderConfigDocs(): string {
  const keys = configKeys();
  const missing = keys.filter((k) => !Object.hasOwn(CONFIG_KEY_DOCS, k.path)).map((k) => k.path);
  if (missing.length > 0)
    throw new Error(`config keys without a meaning in src/config/keyDocs.ts: ${missing.join(', ')}`);
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated by `npm run docs:config` from src/config/schema.ts and src/config/keyDocs.ts; do not edit by hand. -->',
    '',
    'One YAML or JSON file (`--config FILE`), validated by one schema (src/config/schema.ts). Every key is optional',
    'unless marked required, and every section is strict: a key not listed here is an error naming the keys allowed',
    'there. `npx gpu-chargeback validate-config FILE` prints the effective configuration with every default applied;',
    '[config.example.yaml](config.example.yaml) is an annotated example. In paths, `*` is a name you choose (a team,',
    'an instance type, a cluster) and `[]` an item of a list. Defaults are shown as JSON; `—` means absent unless set;',
    '`(section)` means the section exists with the defaults of its keys.',
    '',
  ];
  let section = '';
  for (const key of keys) {
    const top = key.path.split(/[.[]/)[0]!;
    if (top !== section) {
      section = top;
      if (lines.at(-1) !== '') lines.push('');
      lines.push(`## \`${top}\``, '', '| key | type | default | meaning |', '|---|---|---|---|');
    }
    lines.push(
      `| \`${key.path}\` | ${escapeCell(key.type)} | ${escapeCell(key.defaultText)} | ${escapeCell(CONFIG_KEY_DOCS[key.path]!)} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
