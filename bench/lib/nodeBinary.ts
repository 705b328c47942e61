/**
 * Another Node.js for the measured CLI runs (`bench/small.ts --node 22`): the Lambdas run `nodejs22.x`
 * (serverless.yml) while this machine's Node may be older, and V8 compiles the same bundle differently
 * from one major to the next (docs/performance.md, "Session 17"). A path is used as it is; a version
 * (`22`, `22.23.5`) is the official binary as npm's `node-<platform>-<arch>` package ships it (the
 * registry is all this machine reaches), unpacked once into `.cache/node/`.
 */
import { execFile } from 'node:child_process';
import { access, mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The executable `spec` names, and the version it reports (`v22.23.5`). */
export async function nodeBinary(spec: string, cacheDir: string): Promise<{ path: string; version: string }> {
  const path = spec.includes('/') ? spec : await fromRegistry(spec, cacheDir);
  const { stdout } = await run(path, ['--version']);
  return { path, version: stdout.trim() };
}

/** `.cache/node/<package>@<version>/bin/node`, fetched with `npm pack` and unpacked the first time. */
async function fromRegistry(version: string, cacheDir: string): Promise<string> {
  if (!/^\d+(\.\d+){0,2}$/.test(version))
    throw new Error(`--node: "${version}" is neither a path nor a version such as 22 or 22.23.5`);
  const pkg = `node-${process.platform}-${process.arch}`;
  const dir = join(cacheDir, `${pkg}@${version}`);
  const binary = join(dir, 'bin', 'node');
  const present = await access(binary).then(
    () => true,
    () => false,
  );
  if (present) return binary;
  await mkdir(cacheDir, { recursive: true });
  const work = await mkdtemp(join(cacheDir, '.fetch-'));
  try {
    process.stderr.write(`fetching ${pkg}@${version} from the npm registry (once)…\n`);
    const { stdout } = await run(
      'npm',
      ['pack', `${pkg}@${version}`, '--pack-destination', work, '--silent'],
      {
        maxBuffer: 2 ** 20,
      },
    );
    const tarball = stdout.trim().split('\n').pop()!;
    await mkdir(join(work, 'unpacked'));
    await run('tar', ['-xzf', join(work, tarball), '-C', join(work, 'unpacked'), '--strip-components=1']);
    // Renamed into place whole, so that an interrupted fetch never leaves a half-unpacked binary behind.
    await rename(join(work, 'unpacked'), dir);
    return binary;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
