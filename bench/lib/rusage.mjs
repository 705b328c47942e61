// Preloaded (node --import) into a benchmarked CLI process by bench/small.ts: at exit, writes the
// process's own CPU seconds and peak RSS to the file named by GCB_BENCH_RUSAGE. Nothing else changes.
import { writeFileSync } from 'node:fs';

const file = process.env.GCB_BENCH_RUSAGE;
if (file) {
  process.on('exit', () => {
    const cpu = process.cpuUsage();
    writeFileSync(
      file,
      JSON.stringify({
        cpuSeconds: (cpu.user + cpu.system) / 1e6,
        maxRssMiB: process.resourceUsage().maxRSS / 1024,
      }),
    );
  });
}
