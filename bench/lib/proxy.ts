/**
 * A counting loopback proxy in front of Prometheus. It forwards every request unchanged except that it
 * adds `stats=all` to query requests (Prometheus 2.42 has no prometheus_engine_query_samples_total
 * counter, but answers `data.stats.samples.totalQueryableSamples` per query), streams the answer back
 * as it arrives, and records per request: endpoint, query, window, bytes (without the stats object),
 * samples processed, Prometheus' own timings and the wall interval during which Prometheus was answering.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import zlib from 'node:zlib';

export interface ProxiedRequest {
  endpoint: string;
  query: string;
  startS?: number;
  endS?: number;
  stepS?: number;
  time?: number;
  status: number;
  /** Response body bytes on the wire (compressed when the client asked for gzip, as fetch does). */
  wireBytes: number;
  /** Decoded response body bytes, minus the stats object the proxy asked for. */
  bytes: number;
  requestBytes: number;
  samples: number;
  peakSamples: number;
  /** Prometheus' execTotalTime (queue + prepare + eval + sort), seconds. */
  execSeconds: number;
  /** The client gave up (timeout) before the answer was complete; the upstream request was cancelled. */
  aborted: boolean;
  /** From forwarding the request to the last byte of the answer, ms (performance.now()). */
  t0: number;
  t1: number;
}

export interface CountingProxy {
  url: string;
  requests: ProxiedRequest[];
  reset(): void;
  close(): Promise<void>;
}

/** Length of the `,"stats":{...}` fragment and the stats object, found in the tail of a response. */
export function extractStats(tail: string): {
  fragmentLength: number;
  samples: number;
  peakSamples: number;
  execSeconds: number;
} | null {
  const at = tail.lastIndexOf(',"stats":{');
  if (at < 0) return null;
  let depth = 0;
  let end = -1;
  for (let i = at + 9; i < tail.length; i++) {
    const c = tail[i];
    if (c === '{') depth++;
    else if (c === '}') {
      depth--;
      if (depth === 0) {
        end = i + 1;
        break;
      }
    }
  }
  if (end < 0) return null;
  const stats = JSON.parse(tail.slice(at + 9, end)) as {
    timings?: { execTotalTime?: number };
    samples?: { totalQueryableSamples?: number; peakSamples?: number };
  };
  return {
    fragmentLength: end - at,
    samples: stats.samples?.totalQueryableSamples ?? 0,
    peakSamples: stats.samples?.peakSamples ?? 0,
    execSeconds: stats.timings?.execTotalTime ?? 0,
  };
}

/** Starts the proxy on 127.0.0.1 (a free port) in front of `upstream` (http://127.0.0.1:port). */
export async function startCountingProxy(upstream: string): Promise<CountingProxy> {
  const target = new URL(upstream);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const requests: ProxiedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const isQuery = /\/api\/v1\/query(_range)?$/.test(url.pathname);
      // A remote read (source.readApi "remote") is forwarded byte for byte (a snappy-framed protobuf) and
      // recorded with its bytes; the samples in its chunks are counted by the client (stats.remoteReadSamples).
      const isRead = url.pathname.endsWith('/api/v1/read');
      const raw = Buffer.concat(chunks);
      let body: string | Buffer = isRead ? raw : raw.toString('utf8');
      const params = new URLSearchParams(req.method === 'POST' && !isRead ? (body as string) : url.search);
      if (isQuery) {
        params.set('stats', 'all');
        if (req.method === 'POST') body = params.toString();
        else url.search = params.toString();
      }
      const headers = { ...req.headers, host: target.host };
      if (req.method === 'POST') headers['content-length'] = String(Buffer.byteLength(body));
      const t0 = performance.now();
      // A client that gives up (its timeout) closes the connection: cancel the upstream request too, as
      // Prometheus would see without the proxy, and record the request as aborted.
      const state: { finished: boolean; onAbort?: () => void } = { finished: false };
      res.on('close', () => {
        if (state.finished) return;
        state.finished = true;
        upstreamReq.destroy();
        if (state.onAbort) state.onAbort();
        else if (isQuery || isRead) {
          requests.push({
            endpoint: isRead ? 'read' : url.pathname.endsWith('query_range') ? 'query_range' : 'query',
            query: params.get('query') ?? '',
            status: 0,
            wireBytes: 0,
            bytes: 0,
            requestBytes: Buffer.byteLength(body),
            samples: 0,
            peakSamples: 0,
            execSeconds: 0,
            aborted: true,
            t0,
            t1: performance.now(),
          });
        }
      });
      const upstreamReq = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: req.method,
          path: url.pathname + url.search,
          headers,
          agent,
        },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          let wireBytes = 0;
          let bytes = 0;
          let tail = '';
          const encoding = String(up.headers['content-encoding'] ?? '');
          const decoder =
            isQuery && /gzip|deflate|br/.test(encoding)
              ? encoding.includes('br')
                ? zlib.createBrotliDecompress()
                : encoding.includes('gzip')
                  ? zlib.createGunzip()
                  : zlib.createInflate()
              : null;
          const decoded = (c: Buffer) => {
            bytes += c.length;
            tail = (tail + c.toString('latin1')).slice(-8192);
          };
          decoder?.on('data', decoded);
          decoder?.on('end', () => record());
          decoder?.on('error', () => {});
          let t1 = 0;
          state.onAbort = () => {
            t1 = performance.now();
            decoder?.destroy();
            if (isQuery || isRead) record(true);
          };
          up.on('data', (c: Buffer) => {
            wireBytes += c.length;
            if (decoder) decoder.write(c);
            else if (isQuery || isRead) decoded(c);
            res.write(c);
          });
          up.on('end', () => {
            if (state.finished) return;
            state.finished = true;
            t1 = performance.now();
            res.end();
            if (!isQuery && !isRead) return;
            if (decoder) decoder.end();
            else record();
          });
          const record = (aborted = false) => {
            const stats = aborted || isRead ? null : extractStats(tail);
            const num = (k: string) => (params.has(k) ? Number(params.get(k)) : undefined);
            const record: ProxiedRequest = {
              endpoint: isRead ? 'read' : url.pathname.endsWith('query_range') ? 'query_range' : 'query',
              query: params.get('query') ?? '',
              status: up.statusCode ?? 0,
              wireBytes,
              bytes: bytes - (stats?.fragmentLength ?? 0),
              requestBytes: Buffer.byteLength(body),
              samples: stats?.samples ?? 0,
              peakSamples: stats?.peakSamples ?? 0,
              execSeconds: stats?.execSeconds ?? 0,
              aborted,
              t0,
              t1,
            };
            for (const k of ['start', 'end', 'step', 'time'] as const) {
              const v = num(k);
              if (v !== undefined)
                record[k === 'start' ? 'startS' : k === 'end' ? 'endS' : k === 'step' ? 'stepS' : 'time'] = v;
            }
            requests.push(record);
          };
          up.on('error', () => res.destroy());
        },
      );
      upstreamReq.on('error', (error) => {
        if (state.finished) return;
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`proxy: ${error.message}`);
      });
      upstreamReq.end(req.method === 'POST' ? body : undefined);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    reset: () => {
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
        agent.destroy();
      }),
  };
}

/** Wall time (ms) during which at least one request was in flight: the union of [t0, t1]. */
export function busyMs(requests: readonly ProxiedRequest[]): number {
  const spans = requests.map((r) => [r.t0, r.t1] as const).sort((a, b) => a[0] - b[0]);
  let total = 0;
  let start = -1;
  let end = -1;
  for (const [a, b] of spans) {
    if (a > end) {
      if (end > start) total += end - start;
      start = a;
      end = b;
    } else end = Math.max(end, b);
  }
  if (end > start) total += end - start;
  return total;
}
