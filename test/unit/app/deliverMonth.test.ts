/**
 * Delivery to team leads (issue #16) at the use-case level, with a published month in a local directory and
 * a scripted sender: who gets what, the one retry, failures that stay failures of one message, and a
 * publication that delivery can never undo or fail. The HTTP side is test/integration/delivery.test.ts.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import type { AppContext } from '../../../src/app/context.ts';
import { deliverAfterPublish, deliverMonth } from '../../../src/app/deliverMonth.ts';
import { readManifest } from '../../../src/app/manifest.ts';
import { deliveryMetrics } from '../../../src/app/runMetrics.ts';
import { configHash, runMonthlyReport } from '../../../src/app/runMonthlyReport.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import type { ConfigInput } from '../../../src/config/schema.ts';
import type { DeliveryTarget, LeadMessage, MessageSender, SendResult } from '../../../src/ports.ts';
import { createMemoryLogger } from '../../../src/adapters/log/logger.ts';
import { type FakePod, fakeClusterContext, fakeClusterSource } from '../../support/fakeCluster.ts';

const MONTH = '2026-10';
const HOSTILE = '<!channel> [x](https://evil.test)';
const pod = (team: string, uid: string, hours: number): FakePod => ({
  namespace: 'ns',
  pod: `p-${uid}`,
  uid,
  node: 'gpu-1',
  team,
  gpus: 1,
  day: 2,
  fromHour: 0,
  hours,
});

/** A sender that answers from a script per URL (or address), and records every attempt. */
function scriptedSender(script: Record<string, SendResult[]>): MessageSender & {
  calls: { target: DeliveryTarget; message: LeadMessage; timeoutMs: number }[];
} {
  const calls: { target: DeliveryTarget; message: LeadMessage; timeoutMs: number }[] = [];
  return {
    calls,
    kinds: new Set(['slack', 'teams']),
    async send(target, message, timeoutMs) {
      calls.push({ target, message, timeoutMs });
      const key = target.kind === 'email' ? target.address : target.url;
      return script[key]?.shift() ?? { ok: true, status: 200 };
    },
  };
}

const ENV = {
  ML_SLACK: 'https://hooks.slack.test/services/T1/B1/secret-ml',
  ML_TEAMS: 'https://teams.test/webhookb2/secret-teams?sig=abc',
  KO_SLACK: 'https://hooks.slack.test/services/T1/B2/secret-ko',
  HOSTILE_SLACK: 'https://hooks.slack.test/services/T1/B3/secret-hostile',
  PLAIN_HTTP: 'http://hooks.example.com/services/x',
};

const delivery = (over: Record<string, unknown> = {}): ConfigInput => ({
  report: { budgets: { ml: 100 } },
  delivery: {
    enabled: true,
    timeoutSeconds: 3,
    teams: {
      ml: { slackWebhookEnv: 'ML_SLACK', teamsWebhookEnv: 'ML_TEAMS', email: 'lead@example.com' },
      연구팀: { slackWebhookEnv: 'KO_SLACK' },
      [HOSTILE]: { slackWebhookEnv: 'HOSTILE_SLACK' },
      nobody: { slackWebhookEnv: 'ML_SLACK' },
      unset: { slackWebhookEnv: 'NOT_SET' },
    },
    ...over,
  },
});

describe('deliverMonth', () => {
  let ctx: AppContext;
  let logger: ReturnType<typeof createMemoryLogger>;
  let dir: string;
  let cleanup: () => Promise<void>;
  let versionId: string;

  beforeEach(async () => {
    const source = fakeClusterSource(
      [{ node: 'gpu-1', instanceType: 'p4d.24xlarge', gpus: 8 }],
      [pod('ml', 'u1', 10), pod('연구팀', 'u2', 4), pod(HOSTILE, 'u3', 1), pod('unset', 'u4', 1)],
    );
    ({ ctx, logger, dir, cleanup } = await fakeClusterContext(source, delivery()));
    versionId = (await runMonthlyReport(ctx, MONTH)).versionId;
  });
  afterEach(async () => cleanup());

  it('sends each configured channel of each team with costs one message, naming the version', async () => {
    const sender = scriptedSender({});
    const report = await deliverMonth(ctx, { sender, env: ENV }, MONTH);
    expect(report.versionId).toBe(versionId);
    const sent = report.results.filter((r) => r.status === 'sent').map((r) => `${r.team}/${r.channel}`);
    expect(sent.sort()).toEqual([`${HOSTILE}/slack`, 'ml/slack', 'ml/teams', '연구팀/slack'].sort());
    expect(sender.calls).toHaveLength(4);
    expect(sender.calls.every((c) => c.timeoutMs === 3000)).toBe(true);
    const ko = sender.calls.find((c) => c.target.kind === 'slack' && c.target.url === ENV.KO_SLACK)!;
    expect(ko.message.text).toContain('연구팀');
    expect(ko.message.text).toContain(`Version: ${versionId}`);
    // A local directory: the links are the version's immutable files.
    const ml = sender.calls.find((c) => c.target.kind === 'slack' && c.target.url === ENV.ML_SLACK)!;
    const manifest = (await readManifest(ctx.store, MONTH))!;
    const mlCsv = manifest.files.find((f) => f.team === 'ml')!;
    const pdfKey = `${mlCsv.key.slice(0, -4)}/report.pdf`;
    const pdf = manifest.files.find((f) => f.key === pdfKey)!;
    expect(ml.message.text).toContain(join(dir, pdf.object));
    expect(ml.message.text).toContain(join(dir, `${MONTH}/versions/${versionId}/report.html`));
    expect(ml.message.text).toMatch(/Budget: \$100\.00 · [+-]\$[\d,.]+ against the budget/);
  });

  it('skips a team without costs and email (no SES here), and fails a channel whose variable is unset', async () => {
    const report = await deliverMonth(ctx, { sender: scriptedSender({}), env: ENV }, MONTH);
    const of = (team: string, channel: string) =>
      report.results.find((r) => r.team === team && r.channel === channel)!;
    expect(of('nobody', 'slack')).toMatchObject({
      status: 'skipped',
      reason: `no costs for this team in ${MONTH}`,
    });
    expect(of('ml', 'email')).toMatchObject({ status: 'skipped', target: 'lead@example.com' });
    expect(of('unset', 'slack')).toMatchObject({
      status: 'failed',
      reason: 'environment variable NOT_SET is not set',
    });
    expect([report.sent, report.failed, report.skipped]).toEqual([4, 1, 2]);
  });

  it('retries once after a 5xx or a failed connection, never after a 4xx or a timeout', async () => {
    const fail = (retryable: boolean, reason: string): SendResult => ({ ok: false, retryable, reason });
    const sender = scriptedSender({
      [ENV.ML_SLACK]: [fail(true, 'HTTP 500'), { ok: true, status: 200 }],
      [ENV.ML_TEAMS]: [
        fail(true, 'connection failed: ECONNREFUSED'),
        fail(true, 'connection failed: ECONNREFUSED'),
      ],
      [ENV.KO_SLACK]: [fail(false, 'HTTP 404: no_service'), { ok: true, status: 200 }],
      [ENV.HOSTILE_SLACK]: [fail(false, 'no answer within 3 s (timed out)'), { ok: true, status: 200 }],
    });
    const report = await deliverMonth(ctx, { sender, env: ENV }, MONTH);
    const of = (team: string, channel: string) =>
      report.results.find((r) => r.team === team && r.channel === channel)!;
    expect(of('ml', 'slack')).toMatchObject({ status: 'sent', attempts: 2 });
    expect(of('ml', 'teams')).toMatchObject({
      status: 'failed',
      attempts: 2,
      reason: 'connection failed: ECONNREFUSED',
    });
    expect(of('연구팀', 'slack')).toMatchObject({
      status: 'failed',
      attempts: 1,
      reason: 'HTTP 404: no_service',
    });
    expect(of(HOSTILE, 'slack')).toMatchObject({ status: 'failed', attempts: 1 });
    expect(sender.calls).toHaveLength(6);
    expect(report.failed).toBe(4); // three sends and the unset variable
  });

  it('logs webhooks by their host only: a webhook URL is a secret', async () => {
    const sender = scriptedSender({ [ENV.ML_TEAMS]: [{ ok: false, retryable: false, reason: 'HTTP 403' }] });
    await deliverMonth(ctx, { sender, env: ENV }, MONTH);
    const logged = JSON.stringify(logger.entries);
    for (const url of [ENV.ML_SLACK, ENV.ML_TEAMS, ENV.KO_SLACK, ENV.HOSTILE_SLACK]) {
      expect(logged).not.toContain(new URL(url).pathname);
    }
    expect(logged).not.toContain('sig=abc');
    const failed = logger.entries.find((e) => e.message === 'delivery failed')!;
    expect(failed.fields).toMatchObject({
      team: 'ml',
      channel: 'teams',
      target: 'https://teams.test',
      reason: 'HTTP 403',
    });
  });

  it('refuses to send a webhook over plain http to another machine', async () => {
    ctx.config = parseConfig({
      ...delivery(),
      timezone: 'UTC',
      source: { url: 'http://fake.test:9090' },
      pricing: { instanceTypes: { 'p4d.24xlarge': { gpus: 8, gpuModel: 'A100', onDemand: 32 } } },
      output: { location: dir },
      delivery: { enabled: true, teams: { ml: { slackWebhookEnv: 'PLAIN_HTTP' } } },
    });
    const sender = scriptedSender({});
    const report = await deliverMonth(ctx, { sender, env: ENV }, MONTH);
    expect(report.results).toMatchObject([
      { status: 'failed', reason: '$PLAIN_HTTP is not an https:// URL' },
    ]);
    expect(sender.calls).toHaveLength(0);
  });

  it('sends nothing on a dry run, and returns the messages it would send', async () => {
    const sender = scriptedSender({});
    const report = await deliverMonth(ctx, { sender, env: ENV }, MONTH, { dryRun: true });
    expect(sender.calls).toHaveLength(0);
    expect(report.results.filter((r) => r.status === 'dry-run')).toHaveLength(4);
    expect(report.results.find((r) => r.team === 'ml' && r.channel === 'slack')!.message!.text).toContain(
      'GPU chargeback · October 2026 · ml',
    );
  });

  it('names an unknown version as not published', async () => {
    await expect(
      deliverMonth(ctx, { sender: scriptedSender({}), env: ENV }, MONTH, { versionId: 'ffffffffffffffff' }),
    ).rejects.toThrow(/has no version ffffffffffffffff/);
  });
});

describe('deliverAfterPublish', () => {
  let ctx: AppContext;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    const source = fakeClusterSource(
      [{ node: 'gpu-1', instanceType: 'p4d.24xlarge', gpus: 8 }],
      [pod('ml', 'u1', 3)],
    );
    ({ ctx, cleanup } = await fakeClusterContext(source, delivery()));
  });
  afterEach(async () => cleanup());

  it('delivers after a publication, and not again when a rerun published nothing', async () => {
    const sender = scriptedSender({});
    ctx.delivery = { sender, env: ENV };
    const first = await runMonthlyReport(ctx, MONTH);
    expect((await deliverAfterPublish(ctx, first))!.sent).toBe(2);
    const again = await runMonthlyReport(ctx, MONTH);
    expect(again.unchanged).toBe(true);
    expect(await deliverAfterPublish(ctx, again)).toBeUndefined();
    expect(sender.calls).toHaveLength(2);
  });

  it('never throws: a delivery that cannot start counts every configured message as failed', async () => {
    ctx.delivery = { sender: scriptedSender({}), env: ENV };
    const result = await runMonthlyReport(ctx, MONTH);
    // The version it names is not there (as if the store could not be read).
    const report = await deliverAfterPublish(ctx, { ...result, versionId: '0000000000000000' });
    // ml: slack, teams, email; 연구팀, hostile, nobody, unset: one each.
    expect(report).toMatchObject({ sent: 0, failed: 7 });
    expect(await readManifest(ctx.store, MONTH)).toMatchObject({ versionId: result.versionId });
  });

  it('does nothing when delivery is off', async () => {
    const sender = scriptedSender({});
    ctx.delivery = { sender, env: ENV };
    ctx.config = { ...ctx.config, delivery: { ...ctx.config.delivery!, enabled: false } };
    const result = await runMonthlyReport(ctx, MONTH);
    expect(await deliverAfterPublish(ctx, result)).toBeUndefined();
    expect(sender.calls).toHaveLength(0);
  });
});

describe('delivery and the rest of the run', () => {
  it('counts sent and failed messages as metrics of the run', () => {
    expect(deliveryMetrics({ sent: 3, failed: 2 }, 'monthly-report')).toEqual([
      { name: 'DeliveriesSent', value: 3, unit: 'Count', dimensions: { Job: 'monthly-report' } },
      { name: 'DeliveryFailures', value: 2, unit: 'Count', dimensions: { Job: 'monthly-report' } },
    ]);
    expect(deliveryMetrics(undefined, 'monthly-report')).toEqual([]);
  });

  it('leaves the config hash of a version alone: whom links go to does not change what is billed', () => {
    const base = parseConfig({ output: { location: '/tmp/x' } });
    const withDelivery = parseConfig({ output: { location: '/tmp/x' }, ...delivery() });
    expect(configHash(withDelivery)).not.toBe(configHash(parseConfig({ output: { location: '/tmp/y' } })));
    expect(configHash({ ...withDelivery, report: base.report })).toBe(configHash(base));
  });
});
