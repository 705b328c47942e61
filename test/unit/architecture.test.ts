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

/**
 * The stage folders of src/core in pipeline order. A stage may import the files at the root of src/core
 * (shared types, money, period, comparators) and earlier stages, never a later one; root files import no
 * stage. The month stage's orchestrator (month/) calls pricing -> allocation -> rounding -> aggregate.
 */
const CORE_STAGES = [
  'metering',
  'billing',
  'pricing',
  'allocation',
  'rounding',
  'aggregate',
  'month',
] as const;

/**
 * The layers of the product, lowest first (paths relative to the repository). A file may import its own
 * layer and lower ones, never a higher one; the two entry points (the CLI and the Lambda handlers) do
 * not import each other. Adapters sit behind the interfaces in src/ports.ts: only the entry points,
 * which wire them, import them.
 */
const LAYERS: readonly { layer: string; paths: readonly string[] }[] = [
  { layer: 'base', paths: ['src/errors.ts', 'src/redact.ts', 'src/concurrency.ts'] },
  { layer: 'core', paths: ['src/core'] },
  { layer: 'config', paths: ['src/config'] },
  { layer: 'ports', paths: ['src/ports.ts'] },
  { layer: 'sim', paths: ['src/sim'] },
  { layer: 'adapters', paths: ['src/adapters'] },
  { layer: 'render', paths: ['src/render'] },
  { layer: 'app', paths: ['src/app'] },
  { layer: 'cli', paths: ['src/cli'] },
  { layer: 'functions', paths: ['functions'] },
];
const ENTRY_LAYERS = new Set(['cli', 'functions']);

/**
 * Imports that break the order today, each with its reason. Every entry must still exist (a fixed one
 * fails the test until it is removed here), so this list only shrinks.
 */
const KNOWN_EXCEPTIONS: readonly { from: string; to: string; why: string }[] = [
  {
    from: 'src/app/runMonthlyReport.ts',
    to: 'src/adapters/fs/spool.ts',
    why: 'the CSV spool is used directly rather than through a port (runMonthlyReport is being reworked)',
  },
];

/** The layer of a repository-relative path, with its rank (index in LAYERS). */
function layerOf(path: string): { layer: string; rank: number } | null {
  const rank = LAYERS.findIndex((l) => l.paths.some((p) => path === p || path.startsWith(`${p}/`)));
  return rank < 0 ? null : { layer: LAYERS[rank]!.layer, rank };
}

/** The stage of a src/core path: its folder's index in CORE_STAGES, -1 for a root file, null outside core. */
function stageOf(path: string): { folder: string; rank: number } | null {
  if (!path.startsWith('src/core/')) return null;
  const rest = path.slice('src/core/'.length);
  if (!rest.includes('/')) return { folder: '(root)', rank: -1 };
  const folder = rest.slice(0, rest.indexOf('/'));
  return { folder, rank: CORE_STAGES.indexOf(folder as (typeof CORE_STAGES)[number]) };
}

/** Every import between two product files, as repository-relative paths. */
function productImports(): { from: string; to: string }[] {
  const files = [...tsFiles(join(root, 'src')), ...tsFiles(join(root, 'functions'))];
  return files.flatMap((file) =>
    importsOf(file).flatMap(({ resolved }) => {
      if (!resolved || !resolved.endsWith('.ts')) return [];
      const to = relative(root, resolved);
      return to.startsWith('src/') || to.startsWith('functions/') ? [{ from: relative(root, file), to }] : [];
    }),
  );
}

/**
 * The imports that go backwards: into a later core stage (or from a core root file into a stage), into
 * a higher layer, between the two entry points, or into an adapter from outside the entry points.
 */
function backwardImports(imports: readonly { from: string; to: string }[]): string[] {
  const offenders: string[] = [];
  for (const { from, to } of imports) {
    const a = layerOf(from);
    const b = layerOf(to);
    if (!a || !b) {
      offenders.push(`${from} -> ${to}: not in a layer (add its folder to LAYERS)`);
      continue;
    }
    if (b.rank > a.rank) offenders.push(`${from} -> ${to}: ${a.layer} imports the later layer ${b.layer}`);
    else if (a.layer !== b.layer && ENTRY_LAYERS.has(a.layer) && ENTRY_LAYERS.has(b.layer))
      offenders.push(`${from} -> ${to}: the entry points ${a.layer} and ${b.layer} import each other`);
    else if (b.layer === 'adapters' && a.layer !== 'adapters' && !ENTRY_LAYERS.has(a.layer))
      offenders.push(`${from} -> ${to}: ${a.layer} imports an adapter (only the entry points wire adapters)`);
    const s = stageOf(from);
    const t = stageOf(to);
    if (s && t) {
      if (s.rank === -1 && s.folder === '(root)' && t.rank !== -1)
        offenders.push(`${from} -> ${to}: a src/core root file imports the stage ${t.folder}`);
      else if (t.rank > s.rank && s.folder !== t.folder)
        offenders.push(`${from} -> ${to}: core stage ${s.folder} imports the later stage ${t.folder}`);
      for (const stage of [s, t]) {
        if (stage.folder !== '(root)' && stage.rank === -1)
          offenders.push(`${from} -> ${to}: src/core/${stage.folder} is not in CORE_STAGES`);
      }
    }
  }
  return [...new Set(offenders)];
}

/** The cycles of a directed graph (each as its nodes, the first repeated last), found depth first. */
function cyclesOf(graph: ReadonlyMap<string, Iterable<string>>): string[][] {
  const cycles: string[][] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (node: string) => {
    if (state.get(node) === 'done') return;
    if (state.get(node) === 'visiting') {
      cycles.push([...stack.slice(stack.indexOf(node)), node]);
      return;
    }
    state.set(node, 'visiting');
    stack.push(node);
    for (const next of graph.get(node) ?? []) if (graph.has(next)) visit(next);
    stack.pop();
    state.set(node, 'done');
  };
  for (const node of graph.keys()) visit(node);
  return cycles;
}

/** Folders (each file directly in src/ counts as its own) whose imports form a cycle. */
function folderCycles(imports: readonly { from: string; to: string }[]): string[] {
  const node = (path: string) => (/^src\/[^/]+$/.test(path) ? path : dirname(path));
  const graph = new Map<string, Set<string>>();
  for (const { from, to } of [...imports].sort((x, y) => (x.from < y.from ? -1 : x.from > y.from ? 1 : 0))) {
    const [a, b] = [node(from), node(to)];
    if (a === b) continue;
    if (!graph.has(a)) graph.set(a, new Set());
    graph.get(a)!.add(b);
    if (!graph.has(b)) graph.set(b, new Set());
  }
  return cyclesOf(graph).map((cycle) => cycle.join(' -> '));
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
    const cycles = cyclesOf(graph).map((cycle) => cycle.map((f) => relative(root, f)).join(' -> '));
    expect(cycles).toEqual([]);
  });

  it('keeps the core stages in pipeline order and every layer above the ones it imports', () => {
    const imports = productImports();
    const known = new Set(KNOWN_EXCEPTIONS.map((e) => `${e.from} -> ${e.to}`));
    const offenders = backwardImports(imports).filter((o) => !known.has(o.slice(0, o.indexOf(':'))));
    expect(offenders).toEqual([]);
    expect(imports.length).toBeGreaterThan(100);
  });

  it('lists only exceptions that still exist (fix one, then delete it here)', () => {
    const imports = new Set(productImports().map((i) => `${i.from} -> ${i.to}`));
    expect(KNOWN_EXCEPTIONS.filter((e) => !imports.has(`${e.from} -> ${e.to}`))).toEqual([]);
  });

  it('has no cycle between folders', () => {
    expect(folderCycles(productImports())).toEqual([]);
  });

  it('flags a backwards import, an adapter imported by a use case, and a folder cycle', () => {
    expect(
      backwardImports([
        { from: 'src/core/pricing/catalog.ts', to: 'src/core/month/priceMonth.ts' },
        { from: 'src/core/money.ts', to: 'src/core/rounding/roundMonth.ts' },
        { from: 'src/core/types.ts', to: 'src/config/schema.ts' },
        { from: 'src/render/csv.ts', to: 'src/app/context.ts' },
        { from: 'src/app/meterDay.ts', to: 'src/adapters/prometheus/index.ts' },
        { from: 'src/cli/main.ts', to: 'functions/lib/events.ts' },
        { from: 'src/core/newStage/x.ts', to: 'src/core/types.ts' },
        { from: 'src/core/allocation/allocate.ts', to: 'src/core/pricing/catalog.ts' },
        { from: 'functions/lib/context.ts', to: 'src/adapters/prometheus/index.ts' },
      ]),
    ).toEqual([
      'src/core/pricing/catalog.ts -> src/core/month/priceMonth.ts: core stage pricing imports the later stage month',
      'src/core/money.ts -> src/core/rounding/roundMonth.ts: a src/core root file imports the stage rounding',
      'src/core/types.ts -> src/config/schema.ts: core imports the later layer config',
      'src/render/csv.ts -> src/app/context.ts: render imports the later layer app',
      'src/app/meterDay.ts -> src/adapters/prometheus/index.ts: app imports an adapter (only the entry points wire adapters)',
      'src/cli/main.ts -> functions/lib/events.ts: cli imports the later layer functions',
      'src/core/newStage/x.ts -> src/core/types.ts: src/core/newStage is not in CORE_STAGES',
    ]);
    expect(
      folderCycles([
        { from: 'src/adapters/s3/a.ts', to: 'src/adapters/fs/b.ts' },
        { from: 'src/adapters/fs/b.ts', to: 'src/adapters/s3/c.ts' },
      ]),
    ).toEqual(['src/adapters/fs -> src/adapters/s3 -> src/adapters/fs']);
  });

  it('keeps PromQL in queries/*.promql rather than in code', () => {
    const inline = tsFiles(join(root, 'src')).filter((f) =>
      /['"`][^'"`]*\b(sum|max|count|avg|last|min)_over_time\(/.test(readFileSync(f, 'utf8')),
    );
    expect(inline.map((f) => relative(root, f))).toEqual([]);
  });
});
