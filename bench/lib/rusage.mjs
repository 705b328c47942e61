// Preloaded (node --import) into a benchmarked CLI process by bench/small.ts: at exit, writes the
// process's own CPU seconds and peak RSS to the file named by GCB_BENCH_RUSAGE, and (Linux) the CPU of
// its main thread, read from /proc/self/task/<pid>/stat: the rest is V8's compiler and collector
// threads, libuv's pool and worker threads still running. Nothing else changes.
import { readFileSync, writeFileSync } from 'node:fs';

/** utime + stime of one thread, in seconds (fields 14 and 15 of its stat, in clock ticks of 1/100 s). */
function threadCpuSeconds(tid) {
  try {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

const file = process.env.GCB_BENCH_RUSAGE;
if (file) {
  process.on('exit', () => {
    const cpu = process.cpuUsage();
    const mainThreadCpuSeconds = threadCpuSeconds(process.pid);
    writeFileSync(
      file,
      JSON.stringify({
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        maxRssMiB: process.resourceUsage().maxRSS / 1024,
        ...(mainThreadCpuSeconds === undefined ? {} : { mainThreadCpuSeconds }),
      }),
    );
  });
}
