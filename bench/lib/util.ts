/** Small helpers shared by the benchmarks: the machine, child processes, tables and units. */
import { spawn } from 'node:child_process';
import os from 'node:os';

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
