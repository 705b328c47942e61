/** Small helpers shared by the benchmarks: the machine, child processes, Prometheus, tables and units. */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import type { ProxiedRequest } from './proxy.ts';

export function machine(): { cpu: string; cores: number; memoryGiB: number; node: string; platform: string } {
  return {
    cpu: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  };
}

export function machineLine(): string {
  const m = machine();
  return `machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, Node ${m.node}, ${m.platform}`;
}

/** Runs `node --import tsx <args>`; streams stderr through, returns stdout and the exit code. */
export function runNode(
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; inheritStdout?: boolean },
): Promise<{ code: number; stdout: string }> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      if (options.inheritStdout) process.stdout.write(c);
    });
    child.on('error', fail);
    child.on('exit', (code, signal) => ok({ code: code ?? (signal ? 128 : 1), stdout }));
  });
}

/** The last line of `stdout` that parses as JSON. */
export function lastJson<T>(stdout: string): T {
  const lines = stdout.trim().split('\n').reverse();
  for (const line of lines) {
    try {
      return JSON.parse(line) as T;
    } catch {
      // not a JSON line: try the next one
    }
  }
  throw new Error(`no JSON line in child output: ${stdout.slice(-400)}`);
}

/** A plain-text table with right-aligned columns except the first. */
export function table(header: string[], rows: (string | number)[][]): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

export const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(bytes < 10 * 1024 * 1024 ? 2 : 1);
export const sec = (s: number) => (s < 10 ? s.toFixed(2) : s.toFixed(1));
export function millions(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e3 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}
/** Growth exponent between two sizes: f ∝ size^k. */
export function exponent(f1: number, f2: number, s1: number, s2: number): string {
  if (!(f1 > 0 && f2 > 0)) return '-';
  return (Math.log(f2 / f1) / Math.log(s2 / s1)).toFixed(2);
}

/** CPU seconds (user + system) a process has used so far, from /proc (USER_HZ = 100 on Linux). */
export function procCpuSeconds(pid: number): Promise<number> {
  return readFile(`/proc/${pid}/stat`, 'utf8').then((text) => {
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  });
}

/** The sum of an instant query's values at `timeS` (seconds) from the Prometheus at `url`. */
export async function instantSum(url: string, query: string, timeS: number): Promise<number> {
  const res = await fetch(`${url}/api/v1/query`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ query, time: String(timeS) }),
  });
  const json = (await res.json()) as {
    status: string;
    error?: string;
    data?: { result: { value: [number, string] }[] };
  };
  if (json.status !== 'success') throw new Error(`${query}: ${json.error}`);
  return json.data!.result.reduce((sum, r) => sum + Number(r.value[1]), 0);
}

/** What a request asks: its endpoint and query text with the shard's name alternations elided. */
export function queryShape(r: Pick<ProxiedRequest, 'endpoint' | 'query'>): string {
  return `${r.endpoint} ${r.query
    .replace(/=~"[^"]{40,}"/g, '=~"…"')
    .replace(/\s+/g, ' ')
    .slice(0, 110)}`;
}

/**
 * Requests grouped by what they ask (the query text with the shard's name alternations elided): count,
 * samples, MiB and Prometheus' own execution seconds (execTotalTime: not the JSON encoding).
 */
export function byQuery(requests: readonly ProxiedRequest[]): string[] {
  const groups = new Map<string, { n: number; samples: number; bytes: number; exec: number }>();
  for (const r of requests) {
    const key = queryShape(r);
    const g = groups.get(key) ?? { n: 0, samples: 0, bytes: 0, exec: 0 };
    g.n++;
    g.samples += r.samples;
    g.bytes += r.bytes;
    g.exec += r.execSeconds;
    groups.set(key, g);
  }
  return [...groups]
    .sort((a, b) => b[1].exec - a[1].exec)
    .map(
      ([key, g]) =>
        `${String(g.n).padStart(3)} × exec ${g.exec.toFixed(2).padStart(6)} s  ${millions(g.samples).padStart(7)}  ${mb(g.bytes).padStart(7)} MiB  ${key}`,
    );
}

/** Sends a captured query request again to Prometheus at `url` (POST, uncompressed) and reads its answer. */
export async function replayRequest(url: string, r: ProxiedRequest): Promise<void> {
  const params: Record<string, string> = { query: r.query };
  if (r.endpoint === 'query_range') {
    Object.assign(params, { start: String(r.startS), end: String(r.endS), step: String(r.stepS) });
  } else if (r.time !== undefined) params.time = String(r.time);
  const res = await fetch(`${url}/api/v1/${r.endpoint}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-encoding': 'identity' },
    body: new URLSearchParams(params).toString(),
  });
  await res.arrayBuffer();
}
