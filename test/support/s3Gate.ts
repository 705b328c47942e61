/**
 * A gate in front of the S3 test server: forwards every request, but holds the ones `hold` selects until
 * the test opens the gate. Lets a test stop a run at an exact point of its conversation with S3 (e.g.
 * just before it takes the month's lock), do something else, and let it go on: races without timing.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface S3Gate {
  url: string;
  /** Resolves once a request the gate holds has arrived. */
  held(): Promise<{ method: string; path: string }>;
  /** Lets every held request (and every later one) through. */
  open(): void;
  stop(): Promise<void>;
}

/** Starts the gate on 127.0.0.1 (a free port) in front of `target`. */
export async function startS3Gate(
  target: string,
  hold: (request: { method: string; path: string; headers: http.IncomingHttpHeaders }) => boolean,
): Promise<S3Gate> {
  const upstream = new URL(target);
  let opened = false;
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  let notify!: (r: { method: string; path: string }) => void;
  const firstHeld = new Promise<{ method: string; path: string }>((resolve) => (notify = resolve));
  const sockets = new Set<Socket>();

  const forward = (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const out = http.request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: { ...req.headers, host: upstream.host },
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    out.end(body);
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const request = {
        method: req.method ?? 'GET',
        path: decodeURIComponent(new URL(req.url ?? '/', 'http://g').pathname),
        headers: req.headers,
      };
      if (!opened && hold(request)) {
        notify({ method: request.method, path: request.path });
        void gate.then(() => forward(req, res, Buffer.concat(chunks)));
        return;
      }
      forward(req, res, Buffer.concat(chunks));
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    held: () => firstHeld,
    open() {
      opened = true;
      release();
    },
    async stop() {
      opened = true;
      release();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
