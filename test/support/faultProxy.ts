/**
 * A fault-injecting HTTP(S) proxy for integration tests: a node:http(s) server on 127.0.0.1 that forwards
 * every request to a real upstream (Prometheus, s3rver) and, per request, applies the fault a scriptable
 * plan returns: hold the answer past the client's timeout, reset the connection, answer with a status
 * (and Retry-After), cut the real body short, answer with a malformed or an error body, add warnings,
 * refuse windows that are too large like Prometheus does, rewrite the real answer, or redirect.
 * Every request and every fault injected is recorded, so tests can assert exact counts.
 */
import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

/** What a plan may do to one request. `undefined` forwards it untouched. */
export type Fault =
  /** Forward, but hold the answer for `ms` (longer than the client's timeout makes it a timeout). */
  | { kind: 'delay'; ms: number }
  /** Destroy the client's socket without answering (ECONNRESET / "socket hang up"). */
  | { kind: 'reset' }
  /** Answer with `status` (and optional Retry-After and body) without forwarding. */
  | { kind: 'status'; status: number; retryAfter?: string; body?: string; contentType?: string }
  /** Forward, then send only the first `keepBytes` bytes of the real body, ending the response cleanly. */
  | { kind: 'truncate'; keepBytes?: number }
  /** Answer 200 with a body that is not JSON. */
  | { kind: 'malformed'; body?: string }
  /** Answer with a Prometheus error body (`status: "error"`). */
  | { kind: 'errorBody'; status: number; errorType: string; error: string }
  /** Forward, and add `warnings` to the real (successful) answer. */
  | { kind: 'warnings'; warnings: string[] }
  /** Forward, and replace the real JSON answer by `transform(answer)`. */
  | { kind: 'rewrite'; transform: (body: PromBody) => PromBody }
  /** Answer 307 with a Location header (never forwarded). */
  | { kind: 'redirect'; location: string };

/** A decoded Prometheus API answer, loosely typed for rewriting. */
export interface PromBody {
  status: string;
  data?: { resultType: string; result: PromResult[] };
  warnings?: string[];
  [key: string]: unknown;
}
export interface PromResult {
  metric: Record<string, string>;
  values?: [number, string][];
  value?: [number, string];
}

/** One request as the plan sees it: the form parameters of a Prometheus query, or just method and path. */
export interface ProxiedRequest {
  index: number;
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** `query` or `query_range` for the Prometheus API, else undefined. */
  endpoint?: 'query' | 'query_range';
  /** Form (or URL) parameters: query, time, start, end, step. */
  params: Record<string, string>;
  body: Buffer;
}

export type FaultPlan = (request: ProxiedRequest) => Fault | undefined;

export interface FaultProxy {
  url: string;
  /** Every request received, in order. */
  readonly requests: ProxiedRequest[];
  /** Faults injected so far, by kind. */
  readonly injected: Record<string, number>;
  /** Total faults injected. */
  faultsInjected(): number;
  /** Replaces the plan (e.g. between two runs of one test). */
  setPlan(plan: FaultPlan): void;
  stop(): Promise<void>;
}

export interface FaultProxyOptions {
  /** Upstream base URL (http only: the real servers run on loopback). */
  target: string;
  plan?: FaultPlan;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: { key: string; cert: string };
}

/** Starts the proxy on 127.0.0.1 (a free port). */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target);
  let plan: FaultPlan = options.plan ?? (() => undefined);
  const requests: ProxiedRequest[] = [];
  const injected: Record<string, number> = {};
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://proxy');
      const api = /\/api\/v1\/(query|query_range)$/.exec(url.pathname);
      const params: Record<string, string> = Object.fromEntries(url.searchParams);
      if (api && /x-www-form-urlencoded/.test(req.headers['content-type'] ?? '')) {
        Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
      }
      const request: ProxiedRequest = {
        index: requests.length,
        method: req.method ?? 'GET',
        path: url.pathname,
        headers: req.headers,
        ...(api ? { endpoint: api[1] as 'query' | 'query_range' } : {}),
        params,
        body,
      };
      requests.push(request);
      let fault: Fault | undefined;
      try {
        fault = plan(request);
      } catch (error) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end(`fault plan threw: ${String(error)}`);
        return;
      }
      if (fault) injected[fault.kind] = (injected[fault.kind] ?? 0) + 1;
      void apply(fault, req, res, body);
    });
  };

  const apply = async (fault: Fault | undefined, req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    switch (fault?.kind) {
      case 'reset':
        req.socket.destroy();
        return;
      case 'status':
        res.writeHead(fault.status, {
          'content-type': fault.contentType ?? 'text/plain; charset=utf-8',
          ...(fault.retryAfter !== undefined ? { 'retry-after': fault.retryAfter } : {}),
        });
        res.end(fault.body ?? `injected HTTP ${fault.status}`);
        return;
      case 'malformed':
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(fault.body ?? '<html><body>502 Bad Gateway (from a load balancer)</body></html>');
        return;
      case 'errorBody':
        res.writeHead(fault.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ status: 'error', errorType: fault.errorType, error: fault.error }));
        return;
      case 'redirect':
        res.writeHead(307, { location: fault.location, 'content-type': 'text/plain' });
        res.end('moved');
        return;
      // These are forwarded upstream first and applied to the answer below.
      case 'delay':
      case 'warnings':
      case 'rewrite':
      case 'truncate':
      case undefined:
        break;
    }
    let upstream: { status: number; headers: IncomingHttpHeaders; body: Buffer };
    try {
      upstream = await forward(req, body);
    } catch (error) {
      if (!res.destroyed) res.writeHead(502, { 'content-type': 'text/plain' }).end(String(error));
      return;
    }
    if (fault?.kind === 'delay') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve();
        }, fault.ms);
        timers.add(timer);
        res.once('close', () => {
          clearTimeout(timer);
          timers.delete(timer);
          resolve();
        });
      });
      if (res.destroyed || res.writableEnded) return;
    }
    let out = upstream.body;
    if (fault?.kind === 'warnings' || fault?.kind === 'rewrite') {
      const decoded = JSON.parse(out.toString('utf8')) as PromBody;
      const changed =
        fault.kind === 'warnings'
          ? { ...decoded, warnings: [...(decoded.warnings ?? []), ...fault.warnings] }
          : fault.transform(decoded);
      out = Buffer.from(JSON.stringify(changed), 'utf8');
    }
    if (fault?.kind === 'truncate') out = out.subarray(0, fault.keepBytes ?? Math.floor(out.length / 2));
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(upstream.headers)) {
      if (v === undefined || ['content-length', 'transfer-encoding', 'connection'].includes(k)) continue;
      headers[k] = v;
    }
    headers['content-length'] = String(out.length);
    res.writeHead(upstream.status, headers);
    res.end(out);
  };

  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const headers = { ...req.headers, host: target.host };
      delete headers.connection;
      // Plain bodies, so that faults can rewrite and cut them.
      delete headers['accept-encoding'];
      const upstream = http.request(
        {
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers,
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (c: Buffer) => chunks.push(c));
          response.on('error', reject);
          response.on('end', () =>
            resolve({
              status: response.statusCode ?? 502,
              headers: response.headers,
              body: Buffer.concat(chunks),
            }),
          );
        },
      );
      upstream.on('error', reject);
      upstream.end(body);
    });

  const server = options.tls
    ? https.createServer({ key: options.tls.key, cert: options.tls.cert }, handler)
    : http.createServer(handler);
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  // A client that gives up on a TLS handshake (unknown CA) must not crash the test process.
  server.on('tlsClientError', () => {});
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    requests,
    injected,
    faultsInjected: () => Object.values(injected).reduce((a, b) => a + b, 0),
    setPlan(next) {
      plan = next;
    },
    async stop() {
      for (const timer of timers) clearTimeout(timer);
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The number of points a query_range asks for, or the seconds an instant query's widest `[range]` spans. */
export function requestSize(request: ProxiedRequest): { points?: number; rangeSeconds?: number } {
  if (request.endpoint === 'query_range') {
    const { start, end, step } = request.params;
    return { points: Math.floor((Number(end) - Number(start)) / Number(step)) + 1 };
  }
  const ranges = [...(request.params.query ?? '').matchAll(/\[(\d+)ms\]/g)].map((m) => Number(m[1]) / 1000);
  return ranges.length ? { rangeSeconds: Math.max(...ranges) } : {};
}

/** The 422 body Prometheus sends when a query would load more samples than --query.max-samples. */
export const TOO_MANY_SAMPLES: Fault = {
  kind: 'errorBody',
  status: 422,
  errorType: 'execution',
  error: 'query processing would load too many samples into memory in query execution',
};
