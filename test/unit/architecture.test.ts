import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Static and dynamic relative imports of a file, resolved to absolute paths. */
function importsOf(file: string): { specifier: string; resolved: string | null }[] {
  const text = readFileSync(file, 'utf8');
  const specs = [...text.matchAll(/(?:from\s+|import\s*\(\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  return specs.map((specifier) => ({
    specifier,
    resolved: specifier.startsWith('.') ? resolve(dirname(file), specifier) : null,
  }));
}

describe('architecture', () => {
  const coreFiles = tsFiles(join(root, 'src/core'));

  it('keeps src/core free of I/O, the environment and the clock', () => {
    const offenders: string[] = [];
    for (const file of coreFiles) {
      const text = readFileSync(file, 'utf8');
      for (const { specifier, resolved } of importsOf(file)) {
        const bad =
          /^(@aws-sdk|@smithy|node:(fs|http|https|net|child_process|os)|fs|http|https|undici|pdfkit)/.test(
            specifier,
          ) ||
          (resolved !== null &&
            !resolved.startsWith(join(root, 'src/core')) &&
            !resolved.endsWith('src/config/schema.ts') &&
            !resolved.endsWith('src/errors.ts'));
        if (bad) offenders.push(`${relative(root, file)} imports ${specifier}`);
      }
      if (
        /process\.env|Date\.now\(\)|new Date\(\)|Math\.random\(\)|\bfetch\(/.test(
          text.replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, ''),
        )
      ) {
        offenders.push(`${relative(root, file)} reads the environment, the clock, randomness or the network`);
      }
    }
    expect(offenders).toEqual([]);
    expect(coreFiles.length).toBeGreaterThan(3);
  });

  it('has no import cycles in src', () => {
    const files = tsFiles(join(root, 'src'));
    const graph = new Map(
      files.map((f) => [f, importsOf(f).flatMap((i) => (i.resolved ? [i.resolved] : []))]),
    );
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const stack: string[] = [];
    const visit = (node: string) => {
      if (state.get(node) === 'done') return;
      if (state.get(node) === 'visiting') {
        cycles.push(
          stack
            .slice(stack.indexOf(node))
            .concat(node)
            .map((f) => relative(root, f))
            .join(' -> '),
        );
        return;
      }
      state.set(node, 'visiting');
      stack.push(node);
      for (const next of graph.get(node) ?? []) if (graph.has(next)) visit(next);
      stack.pop();
      state.set(node, 'done');
    };
    for (const file of files) visit(file);
    expect(cycles).toEqual([]);
  });

  it('keeps PromQL in queries/*.promql rather than in code', () => {
    const inline = tsFiles(join(root, 'src')).filter((f) =>
      /['"`][^'"`]*\b(sum|max|count|avg|last|min)_over_time\(/.test(readFileSync(f, 'utf8')),
    );
    expect(inline.map((f) => relative(root, f))).toEqual([]);
  });
});
