/**
 * A loopback server that answers what Prometheus answered (`bench/small.ts --replay`). Every request is
 * keyed by its method, URL and body; the first time a key is seen the request is forwarded to Prometheus
 * and its answer (status, headers, body) kept in memory, every later time the kept answer is written back
 * at once. A run against it measures the report's own CPU: Prometheus' work is done once, before the
 * measured runs, and answering costs the bench's process only the writes.
 *
 * A run may ask a few requests an earlier one did not: the raw reads' spans follow how many series the
 * source has seen so far (src/adapters/prometheus/queries.ts), which depends on the order the days in
 * flight finish. Those are forwarded and counted (`misses`).
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReplayServer {
  url: string;
  /** Requests forwarded to Prometheus since the last reset (not answered from memory). */
  misses: number;
  /** Answers kept, and their bytes. */
  readonly kept: { answers: number; bytes: number };
  reset(): void;
  close(): Promise<void>;
}

interface Kept {
  status: number;
  headers: http.OutgoingHttpHeaders;
  body: Buffer;
}

async function bodyOf(stream: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Starts a replaying server in front of the Prometheus at `upstream` (http only). */
export async function startReplayServer(upstream: string): Promise<ReplayServer> {
  const target = new URL(upstream);
  const answers = new Map<string, Kept>();
  const kept = { answers: 0, bytes: 0 };
  let misses = 0;
  const forward = (req: http.IncomingMessage, body: Buffer) =>
    new Promise<Kept>((ok, fail) => {
      const out = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: `${target.pathname.replace(/\/$/, '')}${req.url ?? ''}`,
          headers: { ...req.headers, host: target.host },
        },
        (res) => {
          bodyOf(res).then((answer) => {
            const headers: http.OutgoingHttpHeaders = { ...res.headers };
            delete headers['transfer-encoding'];
            delete headers.date;
            delete headers.connection;
            headers['content-length'] = String(answer.length);
            ok({ status: res.statusCode ?? 502, headers, body: answer });
          }, fail);
        },
      );
      out.on('error', fail);
      out.end(body);
    });
  const server = http.createServer((req, res) => {
    bodyOf(req)
      .then(async (body) => {
        const key = createHash('sha256').update(`${req.method} ${req.url}\n`).update(body).digest('hex');
        let answer = answers.get(key);
        if (!answer) {
          misses += 1;
          answer = await forward(req, body);
          // Only complete, successful answers are kept: an error is asked again next time.
          if (answer.status === 200) {
            answers.set(key, answer);
            kept.answers += 1;
            kept.bytes += answer.body.length;
          }
        }
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      })
      .catch((error: unknown) => {
        res.writeHead(502);
        res.end(String(error));
      });
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get misses() {
      return misses;
    },
    kept,
    reset() {
      misses = 0;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
