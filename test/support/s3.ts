import { fork } from 'node:child_process';
import { Agent } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { S3Client } from '@aws-sdk/client-s3';

export interface S3TestServer {
  endpoint: string;
  bucket: string;
  client: S3Client;
  stop(): Promise<void>;
}

/** An S3 client for a local S3-compatible server (path-style, dummy credentials, no flexible checksums). */
export function localS3Client(endpoint: string): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    // One attempt and no kept-alive sockets: s3rver may close an idle kept-alive socket just as the
    // client reuses it ("socket hang up"), which a single attempt cannot survive.
    requestHandler: { httpAgent: new Agent({ keepAlive: false }) },
  });
}

/**
 * Starts s3rver on 127.0.0.1 (a free port) in a child process with one empty bucket. The child runs with
 * --openssl-legacy-provider (paginated listings need DES) and adds conditional PUT (If-None-Match: * and
 * If-Match: <ETag>), which s3rver 3.7 ignores; see test/support/s3rverChild.cjs.
 */
export async function startS3Server(bucket = 'reports'): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'));
  const child = fork(
    fileURLToPath(new URL('./s3rverChild.cjs', import.meta.url)),
    [JSON.stringify({ directory, bucket })],
    {
      execArgv: ['--openssl-legacy-provider'],
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (msg) => resolve((msg as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`s3rver exited early with code ${code}`)));
  });
  const endpoint = `http://127.0.0.1:${port}`;
  const client = localS3Client(endpoint);
  return {
    endpoint,
    bucket,
    client,
    async stop() {
      client.destroy();
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send('stop');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
