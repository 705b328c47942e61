import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookSender } from '../../../src/adapters/delivery/webhookSender.ts';
import type { LeadMessage } from '../../../src/ports.ts';

const MESSAGE: LeadMessage = {
  subject: 's',
  text: 't',
  slack: { text: 'to slack' },
  teams: { type: 'message' },
};

describe('the webhook sender', () => {
  let server: Server;
  let base: string;
  const seen: { path: string; type: string | undefined; body: string }[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => {
        seen.push({ path: req.url ?? '', type: req.headers['content-type'], body });
        if (req.url === '/gone') res.writeHead(404).end('no_service');
        else if (req.url === '/moved') res.writeHead(302, { location: 'http://evil.test/' }).end();
        else if (req.url === '/busy') res.writeHead(503).end(`${'x'.repeat(1000)}`);
        else res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it("posts each channel's own payload as JSON", async () => {
    const sender = createWebhookSender();
    expect(await sender.send({ kind: 'slack', url: `${base}/s` }, MESSAGE, 2000)).toEqual({
      ok: true,
      status: 200,
    });
    expect(await sender.send({ kind: 'teams', url: `${base}/t` }, MESSAGE, 2000)).toEqual({
      ok: true,
      status: 200,
    });
    expect(seen.slice(-2)).toEqual([
      { path: '/s', type: 'application/json; charset=utf-8', body: '{"text":"to slack"}' },
      { path: '/t', type: 'application/json; charset=utf-8', body: '{"type":"message"}' },
    ]);
  });

  it('does not retry a 4xx (a revoked webhook), retries a 5xx, and keeps only the start of an answer', async () => {
    const sender = createWebhookSender();
    expect(await sender.send({ kind: 'slack', url: `${base}/gone` }, MESSAGE, 2000)).toEqual({
      ok: false,
      retryable: false,
      status: 404,
      reason: 'HTTP 404: no_service',
    });
    const busy = await sender.send({ kind: 'slack', url: `${base}/busy` }, MESSAGE, 2000);
    expect(busy).toMatchObject({ ok: false, retryable: true, status: 503 });
    expect(busy.ok ? '' : busy.reason).toBe(`HTTP 503: ${'x'.repeat(200)}`);
  });

  it('never follows a redirect to another host', async () => {
    const before = seen.length;
    const result = await createWebhookSender().send({ kind: 'slack', url: `${base}/moved` }, MESSAGE, 2000);
    expect(result).toEqual({ ok: false, retryable: false, reason: 'refused to follow a redirect' });
    expect(seen.length).toBe(before + 1);
  });

  it('has no email: email recipients are left to another adapter', async () => {
    const sender = createWebhookSender();
    expect(sender.kinds.has('email')).toBe(false);
    expect(await sender.send({ kind: 'email', address: 'a@b.co' }, MESSAGE, 2000)).toMatchObject({
      ok: false,
      retryable: false,
    });
  });
});
