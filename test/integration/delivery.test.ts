/**
 * Delivery to team leads (issue #16) over real HTTP: a local server on 127.0.0.1 (node:http) stands in for
 * Slack and Microsoft Teams incoming webhooks, s3rver for S3. The monthly Lambda publishes the small
 * cluster's month and delivers: one lead's webhook answers, one answers 500 once, one always 500, one
 * never answers, one refuses the connection. Every failure leaves the month published, the run successful
 * and the failure counted; the presigned link a lead got downloads the team's report.pdf with a plain GET.
 * Then `gpu-chargeback deliver` resends (dry run, success, failures) from the CLI.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLambdaContext } from '../../functions/lib/lambdaContext.ts';
import { monthlyReportHandler } from '../../functions/lib/reportHandlers.ts';
import { createDemoSource } from '../../src/adapters/demo/demoSource.ts';
import { createS3Store } from '../../src/adapters/s3/s3Store.ts';
import { readManifest } from '../../src/app/manifest.ts';
import { runCli } from '../../src/cli/main.ts';
import type { ObservationSource } from '../../src/ports.ts';
import { writeOpenMetrics } from '../../src/sim/index.ts';
import {
  hasCachedTsdb,
  type PrometheusHandle,
  prometheusInstallHint,
  startPrometheusWithData,
} from '../support/prometheus.ts';
import { losingSource, smallClusterConfig, smallClusterSimulation } from '../support/smallCluster.ts';
import { type S3TestServer, startS3Server } from '../support/s3.ts';

const MONTH = '2026-10';
const NOW = Date.parse('2026-11-05T00:00:00Z');
const PREFIX = 'lambda';

type Behaviour = 'ok' | 'fail-once' | 'fail' | 'hang';

/** A webhook stand-in: each path answers as its behaviour says, and every request is recorded. */
interface Hooks {
  url: (path: string) => string;
  requests: { path: string; body: unknown }[];
  countOf: (path: string) => number;
  stop: () => Promise<void>;
}

async function startHooks(behaviours: Record<string, Behaviour>): Promise<Hooks> {
  const requests: { path: string; body: unknown }[] = [];
  const hanging: ServerResponse[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      const path = req.url ?? '';
      const seen = requests.filter((r) => r.path === path).length;
      requests.push({ path, body: JSON.parse(text) as unknown });
      const behaviour = behaviours[path.split('?')[0]!] ?? 'ok';
      if (behaviour === 'hang') {
        hanging.push(res);
        return;
      }
      const fail = behaviour === 'fail' || (behaviour === 'fail-once' && seen === 0);
      res.writeHead(fail ? 500 : 200, { 'content-type': 'text/plain' });
      res.end(fail ? 'internal_error' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (path) => `http://127.0.0.1:${port}${path}`,
    requests,
    countOf: (path) => requests.filter((r) => r.path.split('?')[0] === path).length,
    async stop() {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A port on 127.0.0.1 that nothing listens on (bound, then released): connecting is refused. */
async function refusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The Teams card's links (Action.OpenUrl) of a recorded request. */
function cardLinks(body: unknown): string[] {
  const card = (body as { attachments: { content: { actions: { url: string }[] } }[] }).attachments[0]!
    .content;
  return card.actions.map((a) => a.url);
}

describe('delivery to team leads over HTTP', () => {
  let s3: S3TestServer;
  let hooks: Hooks;
  let dir: string;
  let refused: number;
  let webhookEnv: Record<string, string>;
  const logLines: string[] = [];
  const metrics: { MetricName?: string; Value?: number; Dimensions?: { Name?: string; Value?: string }[] }[] =
    [];
  const sim = smallClusterSimulation(MONTH, 'UTC');
  const store = () => createS3Store({ bucket: s3.bucket, prefix: PREFIX, client: s3.client });

  const deliveryConfig = {
    enabled: true,
    timeoutSeconds: 1,
    teams: {
      ml: { slackWebhookEnv: 'ML_SLACK', teamsWebhookEnv: 'ML_TEAMS' },
      search: { slackWebhookEnv: 'SEARCH_SLACK', teamsWebhookEnv: 'SEARCH_TEAMS' },
      speech: { slackWebhookEnv: 'SPEECH_SLACK' },
    },
  };
  const lambdaEnv = () => ({
    GPU_CHARGEBACK_CONFIG_JSON: JSON.stringify({
      ...smallClusterConfig(),
      output: { location: `s3://${s3.bucket}/${PREFIX}`, endpoint: s3.endpoint, region: 'us-east-1' },
      delivery: deliveryConfig,
    }),
    PROMETHEUS_URL: 'http://127.0.0.1:9/unused',
    CLOUDWATCH_ENABLED: 'true',
    ...webhookEnv,
  });
  const lambda = (source: ObservationSource) =>
    monthlyReportHandler(
      createLambdaContext(lambdaEnv(), {
        createSource: () => source,
        cloudWatchClient: {
          send: async (command: unknown) => {
            metrics.push(
              ...(command as { input: { MetricData: (typeof metrics)[number][] } }).input.MetricData,
            );
          },
        } as never,
        write: (line) => logLines.push(line),
        clock: { nowMs: () => NOW },
      }),
    );

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gcb-delivery-'));
    [s3, hooks, refused] = await Promise.all([
      startS3Server(),
      startHooks({
        '/slack/ml': 'ok',
        '/teams/ml': 'fail-once',
        '/slack/search': 'fail',
        '/teams/search': 'hang',
      }),
      refusedPort(),
    ]);
    webhookEnv = {
      // The path (and a Teams-like query) is the secret part of a webhook URL.
      ML_SLACK: hooks.url('/slack/ml'),
      ML_TEAMS: hooks.url('/teams/ml?sig=topsecretsignature'),
      SEARCH_SLACK: hooks.url('/slack/search'),
      SEARCH_TEAMS: hooks.url('/teams/search'),
      SPEECH_SLACK: `http://127.0.0.1:${refused}/slack/speech`,
    };
    vi.stubEnv('AWS_ACCESS_KEY_ID', 'S3RVER');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'S3RVER');
    vi.stubEnv('AWS_REGION', 'us-east-1');
  }, 120_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    await Promise.all([s3?.stop(), hooks?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  let result: { versionId: string; delivery?: { sent: number; failed: number; skipped: number } };

  it(
    'publishes the month and succeeds whatever the webhooks do, counting each failed message',
    // The hanging webhook must be cut at delivery.timeoutSeconds (1 s): a send that waited for it would
    // outlast this bound (the run itself takes about 10 s here).
    { timeout: 60_000 },
    async () => {
      result = (await lambda(createDemoSource(sim))({ month: MONTH })) as typeof result;
      // The month is published: the manifest is the commit point.
      const manifest = (await readManifest(store(), MONTH))!;
      expect(manifest.versionId).toBe(result.versionId);
      // ml: Slack sent; Teams 500 then sent on the one retry. search: Slack 500 twice; Teams timed out
      // (not retried: the message may have arrived). speech: connection refused twice.
      expect(result.delivery).toEqual({ sent: 2, failed: 3, skipped: 0 });
      expect(hooks.countOf('/slack/ml')).toBe(1);
      expect(hooks.countOf('/teams/ml')).toBe(2);
      expect(hooks.countOf('/slack/search')).toBe(2);
      expect(hooks.countOf('/teams/search')).toBe(1);
      const metric = (name: string) => metrics.find((m) => m.MetricName === name);
      expect(metric('RunSuccess')?.Value).toBe(1);
      expect(metric('DeliveriesSent')).toMatchObject({
        Value: 2,
        Dimensions: [{ Name: 'Job', Value: 'monthly-report' }],
      });
      expect(metric('DeliveryFailures')).toMatchObject({ Value: 3 });
    },
  );

  it('logs each failure with its reason and never a webhook URL', () => {
    const failures = logLines
      .map(
        (l) =>
          JSON.parse(l) as {
            msg?: string;
            message?: string;
            team?: string;
            channel?: string;
            reason?: string;
          },
      )
      .filter((l) => (l.msg ?? l.message) === 'delivery failed');
    const reasons = Object.fromEntries(failures.map((f) => [`${f.team}/${f.channel}`, f.reason]));
    expect(reasons['search/slack']).toBe('HTTP 500: internal_error');
    expect(reasons['search/teams']).toBe('no answer within 1 s (timed out)');
    expect(reasons['speech/slack']).toBe('connection failed: ECONNREFUSED');
    const all = logLines.join('\n');
    for (const secret of ['/slack/ml', '/teams/ml', 'topsecretsignature', '/slack/search', '/slack/speech']) {
      expect(all).not.toContain(secret);
    }
  });

  it("sends a link that downloads the team's report.pdf from S3 with a plain GET", async () => {
    const teamsMessage = hooks.requests.find((r) => r.path.startsWith('/teams/ml'))!;
    const [pdfUrl, csvUrl, htmlUrl] = cardLinks(teamsMessage.body);
    expect(new URL(pdfUrl!).searchParams.get('X-Amz-Expires')).toBe('604800');
    const manifest = (await readManifest(store(), MONTH))!;
    const mlCsv = manifest.files.find((f) => f.team === 'ml')!;
    const pdfEntry = manifest.files.find((f) => f.key === `${mlCsv.key.slice(0, -4)}/report.pdf`)!;
    const response = await fetch(pdfUrl!);
    expect(response.status).toBe(200);
    const bytes = new Uint8Array(await response.arrayBuffer());
    expect(Buffer.from(bytes.subarray(0, 5)).toString('latin1')).toBe('%PDF-');
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(pdfEntry.sha256);
    expect((await fetch(csvUrl!)).status).toBe(200);
    expect(await (await fetch(htmlUrl!)).text()).toContain('<html');
    // Slack got the same link, written with Slack's escaping.
    const slack = hooks.requests.find((r) => r.path === '/slack/ml')!.body as {
      blocks: { text?: { text: string } }[];
    };
    expect(JSON.stringify(slack.blocks)).toContain(pdfUrl!.replaceAll('&', '&amp;'));
    // A SigV4 presigned GET of the version's immutable object (s3rver does not check signatures: AWS does).
    const url = new URL(pdfUrl!);
    expect(url.pathname).toBe(`/${s3.bucket}/${PREFIX}/${pdfEntry.object}`);
    expect(url.searchParams.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(url.searchParams.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
  });

  it(
    'sends nothing when a rerun publishes nothing, or when the guard refuses the run',
    { timeout: 120_000 },
    async () => {
      const before = hooks.requests.length;
      const again = (await lambda(createDemoSource(sim))({ month: MONTH })) as typeof result & {
        unchanged: boolean;
      };
      expect(again.unchanged).toBe(true);
      expect(again.delivery).toBeUndefined();
      // Half the month lost (retention): a restatement the guard refuses; the handler fails, nothing is sent.
      const losing = losingSource(createDemoSource(sim), 'UTC', (date) => date >= `${MONTH}-10`);
      await expect(lambda(losing)({ month: MONTH, remeter: true })).rejects.toThrow(/refus/i);
      expect(hooks.requests.length).toBe(before);
      expect((await readManifest(store(), MONTH))!.versionId).toBe(result.versionId);
    },
  );

  describe('gpu-chargeback deliver', () => {
    const cli = async (env: Record<string, string>, ...argv: string[]) => {
      let stdout = '';
      let stderr = '';
      const code = await runCli(argv, {
        stdout: (d) => (stdout += typeof d === 'string' ? d : Buffer.from(d).toString('utf8')),
        stderr: (t) => (stderr += t),
        env,
        nowMs: () => NOW,
        stderrIsTty: false,
      });
      return { code, stdout, stderr };
    };
    const configFile = async (name: string, teams: Record<string, unknown>) => {
      const path = join(dir, `${name}.json`);
      await writeFile(
        path,
        JSON.stringify({
          ...smallClusterConfig(),
          source: { kind: 'prometheus', url: 'http://127.0.0.1:9' },
          output: { location: `s3://${s3.bucket}/${PREFIX}`, endpoint: s3.endpoint, region: 'us-east-1' },
          delivery: { ...deliveryConfig, enabled: false, teams },
        }),
      );
      return path;
    };

    it('prints what it would send on a dry run, links redacted, and sends nothing', async () => {
      const before = hooks.requests.length;
      const config = await configFile('dry', deliveryConfig.teams);
      const r = await cli(
        webhookEnv,
        'deliver',
        '--month',
        MONTH,
        '--dry-run',
        '--config',
        config,
        '--quiet',
      );
      expect(r.code, r.stderr).toBe(0);
      expect(hooks.requests.length).toBe(before);
      expect(JSON.parse(r.stdout)).toMatchObject({
        dryRun: true,
        sent: 0,
        failed: 0,
        versionId: result.versionId,
      });
      expect(r.stderr).toContain('--- ml · slack · http://127.0.0.1:');
      expect(r.stderr).toContain('GPU chargeback · October 2026 · ml');
      expect(r.stderr).toContain('X-Amz-Signature=[REDACTED]');
      expect(r.stderr).not.toMatch(/X-Amz-Signature=[0-9a-f]{16}/);
      expect(r.stderr).not.toContain('/slack/ml');
    });

    it('resends the current version, exit 0 when every message went', async () => {
      const config = await configFile('ok', { ml: { slackWebhookEnv: 'ML_SLACK' } });
      const before = hooks.countOf('/slack/ml');
      const r = await cli(webhookEnv, 'deliver', '--month', MONTH, '--config', config, '--quiet');
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ sent: 1, failed: 0, versionId: result.versionId });
      expect(hooks.countOf('/slack/ml')).toBe(before + 1);
    });

    it('exits 1 and says how many failed when a message could not be sent', { timeout: 30_000 }, async () => {
      const config = await configFile('failing', {
        ml: { slackWebhookEnv: 'ML_SLACK' },
        speech: { slackWebhookEnv: 'SPEECH_SLACK' },
      });
      const r = await cli(webhookEnv, 'deliver', '--month', MONTH, '--config', config, '--quiet');
      expect(r.code).toBe(1);
      expect(JSON.parse(r.stdout)).toMatchObject({ sent: 1, failed: 1 });
      expect(r.stderr).toContain('gpu-chargeback deliver: 1 of 2 messages failed');
    });

    it('names a month that is not published', async () => {
      const config = await configFile('none', { ml: { slackWebhookEnv: 'ML_SLACK' } });
      const r = await cli(webhookEnv, 'deliver', '--month', '2026-09', '--config', config, '--quiet');
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/2026-09 is not published/);
    });
  });
});

/**
 * The `report` command with delivery on, against a real Prometheus holding the small cluster's month (the
 * TSDB of test/integration/adversarialReruns.test.ts: same simulation, same cache key): whatever the
 * webhooks do, the month is published and the exit code is the publication's.
 */
describe.skipIf(prometheusInstallHint() !== null)('gpu-chargeback report with delivery', () => {
  const ZONE = 'Asia/Seoul';
  let prometheus: PrometheusHandle;
  let hooks: Hooks;
  let dir: string;
  let refused: number;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gcb-delivery-report-'));
    const key = `adversarial-small-${MONTH}-${ZONE.replace('/', '_')}-v1`;
    const files = (await hasCachedTsdb(key))
      ? []
      : await writeOpenMetrics(smallClusterSimulation(MONTH, ZONE), join(dir, 'om'));
    [prometheus, hooks, refused] = await Promise.all([
      startPrometheusWithData(files, { cacheKey: key }),
      startHooks({ '/slack/ml': 'fail', '/teams/search': 'hang' }),
      refusedPort(),
    ]);
    await rm(join(dir, 'om'), { recursive: true, force: true });
  }, 600_000);

  afterAll(async () => {
    await Promise.all([prometheus?.stop(), hooks?.stop()]);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it(
    'publishes, exits 0 and reports the failed messages when every webhook fails',
    { timeout: 180_000 },
    async () => {
      const reports = join(dir, 'reports');
      const config = join(dir, 'config.json');
      await writeFile(
        config,
        JSON.stringify({
          ...smallClusterConfig({ timezone: ZONE }),
          source: { kind: 'prometheus', url: prometheus.url },
          output: { location: reports },
          delivery: {
            enabled: true,
            timeoutSeconds: 1,
            teams: {
              ml: { slackWebhookEnv: 'ML_SLACK' },
              search: { teamsWebhookEnv: 'SEARCH_TEAMS' },
              speech: { slackWebhookEnv: 'SPEECH_SLACK' },
            },
          },
        }),
      );
      let stdout = '';
      let stderr = '';
      const code = await runCli(['report', '--month', MONTH, '--config', config, '--quiet'], {
        stdout: (d) => (stdout += typeof d === 'string' ? d : Buffer.from(d).toString('utf8')),
        stderr: (t) => (stderr += t),
        env: {
          ML_SLACK: hooks.url('/slack/ml'),
          SEARCH_TEAMS: hooks.url('/teams/search'),
          SPEECH_SLACK: `http://127.0.0.1:${refused}/slack/speech`,
        },
        nowMs: () => NOW,
        stderrIsTty: false,
      });
      expect(code, stderr).toBe(0);
      const out = JSON.parse(stdout) as { versionId: string; delivery: unknown };
      expect(out.delivery).toEqual({ sent: 0, failed: 3, skipped: 0 });
      const { createFsStore } = await import('../../src/adapters/fs/fsStore.ts');
      expect((await readManifest(createFsStore(reports), MONTH))!.versionId).toBe(out.versionId);
      expect(hooks.countOf('/slack/ml')).toBe(2);
      expect(hooks.countOf('/teams/search')).toBe(1);
      // A local directory: the message names the version's files by path.
      const slack = JSON.stringify(hooks.requests.find((r) => r.path === '/slack/ml')!.body);
      expect(slack).toContain(join(reports, MONTH, 'versions', out.versionId));
      expect(stderr).toContain(
        `gpu-chargeback report: warning: 3 of 3 messages to team leads failed (see the log; resend with \`gpu-chargeback deliver --month ${MONTH}\`); ${MONTH} is published`,
      );
    },
  );
});
