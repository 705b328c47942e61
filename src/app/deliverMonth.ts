import { join } from 'node:path';
import { compareStrings } from '../core/compare.ts';
import type { Summary } from '../core/types.ts';
import { mapLimit } from '../concurrency.ts';
import type { Config } from '../config/schema.ts';
import { InputError } from '../errors.ts';
import type { DeliveryTarget, LeadMessage, MessageSender, SendResult } from '../ports.ts';
import { redactUrl } from '../redact.ts';
import { buildLeadMessage } from '../render/message/leadMessage.ts';
import type { AppContext, DeliveryWiring } from './context.ts';
import { canPresign, getPublished } from './getPublished.ts';
import type { Manifest, ManifestFile } from './manifest.ts';
import type { MonthlyReportResult } from './runMonthlyReport.ts';

/** Messages sent at once (each waits at most the timeout, twice with its retry). */
const SEND_CONCURRENCY = 4;

export interface DeliverOptions {
  /** A version of the month by its manifest's versionId; absent: the current version. */
  versionId?: string | undefined;
  /** Build every message, send none. */
  dryRun?: boolean;
}

/** A recipient channel of one team. */
export type DeliveryChannel = DeliveryTarget['kind'];

/** What happened to one message: sent, failed (after its one retry), skipped (cannot be sent), or dry-run. */
export interface DeliveryResult {
  team: string;
  channel: DeliveryChannel;
  /** Where it went, safe to print: a webhook's scheme and host only, or the email address. */
  target: string;
  status: 'sent' | 'failed' | 'skipped' | 'dry-run';
  attempts: number;
  reason?: string;
  /** With dry-run: the message that would be sent. */
  message?: LeadMessage;
}

/** The delivery of one version of a month. */
export interface DeliveryReport {
  month: string;
  versionId: string;
  sent: number;
  failed: number;
  skipped: number;
  results: DeliveryResult[];
}

/** Where a webhook URL may be sent: https, or http to this machine only (a local test server). */
function webhookUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'is not a URL';
  }
  if (parsed.protocol === 'https:') return undefined;
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  return parsed.protocol === 'http:' && loopback ? undefined : 'is not an https:// URL';
}

/** A webhook as logs may show it: scheme and host (the path and query of a webhook URL are its secret). */
function describeWebhook(url: string): string {
  try {
    return redactUrl(new URL(url).origin);
  } catch {
    return '(invalid url)';
  }
}

/** A team's recipients from the config and the environment: targets, or why one cannot be used. */
function recipientsOf(
  recipient: NonNullable<Config['delivery']>['teams'][string],
  env: Record<string, string | undefined>,
): (
  { target: DeliveryTarget; shown: string } | { channel: DeliveryChannel; shown: string; problem: string }
)[] {
  const out: ReturnType<typeof recipientsOf> = [];
  const webhooks: [DeliveryChannel, string | undefined][] = [
    ['slack', recipient.slackWebhookEnv],
    ['teams', recipient.teamsWebhookEnv],
  ];
  for (const [channel, variable] of webhooks) {
    if (variable === undefined) continue;
    const url = env[variable]?.trim();
    if (!url) {
      out.push({ channel, shown: `$${variable}`, problem: `environment variable ${variable} is not set` });
      continue;
    }
    const problem = webhookUrlProblem(url);
    if (problem) out.push({ channel, shown: `$${variable}`, problem: `$${variable} ${problem}` });
    else out.push({ target: { kind: channel as 'slack' | 'teams', url }, shown: describeWebhook(url) });
  }
  if (recipient.email !== undefined) {
    out.push({ target: { kind: 'email', address: recipient.email }, shown: recipient.email });
  }
  return out;
}

/** The team's pack in a version: its report.pdf and costs.csv, found through the team CSV's entry. */
function teamPackOf(
  manifest: Manifest,
  team: string,
): { pdf: ManifestFile; csv: ManifestFile; base: string } | undefined {
  const prefix = `${manifest.month}/teams/`;
  const csv = manifest.files.find(
    (f) =>
      f.team === team &&
      f.key.startsWith(prefix) &&
      f.key.endsWith('.csv') &&
      !f.key.slice(prefix.length).includes('/'),
  );
  if (!csv) return undefined;
  const base = csv.key.slice(prefix.length, -'.csv'.length);
  const pdf = manifest.files.find((f) => f.key === `${prefix}${base}/report.pdf`);
  const costs = manifest.files.find((f) => f.key === `${prefix}${base}/costs.csv`);
  return pdf && costs ? { pdf, csv: costs, base } : undefined;
}

/** Sends once, and once more after a 5xx answer or a failed connection. */
async function sendWithRetry(
  sender: MessageSender,
  target: DeliveryTarget,
  message: LeadMessage,
  timeoutMs: number,
): Promise<{ result: SendResult; attempts: number }> {
  const first = await sender.send(target, message, timeoutMs);
  if (first.ok || !first.retryable) return { result: first, attempts: 1 };
  return { result: await sender.send(target, message, timeoutMs), attempts: 2 };
}

/**
 * Sends each team lead of config `delivery.teams` a message about a published version of `month`: the
 * team's cost, budget and version, with links to its report.pdf and costs.csv and the month's
 * report.html — presigned GET URLs valid `delivery.linkExpiresInSeconds` on S3 (pointing at the
 * version's immutable objects, so a later restatement never changes what a link downloads), file paths
 * on a local directory. A team of the config without costs in the version is skipped; a missing webhook
 * variable or a failed send is a failure of that message only. Every message is logged (webhooks as
 * their host only) and counted; nothing here fails because a message did. NotPublishedError when the
 * month (or the version) is not published.
 */
export async function deliverMonth(
  ctx: Pick<AppContext, 'config' | 'store' | 'logger' | 'clock'>,
  wiring: DeliveryWiring,
  month: string,
  options: DeliverOptions = {},
): Promise<DeliveryReport> {
  const delivery = ctx.config.delivery;
  if (!delivery || Object.keys(delivery.teams).length === 0) {
    throw new InputError('no team leads to deliver to: configure delivery.teams (README, "Delivery")');
  }
  const { store, logger } = ctx;
  const versionId = options.versionId;
  // summary.json of the version, verified against its manifest (sha256 and size).
  const summaryFile = await getPublished(store, { month, what: 'summary', versionId });
  const summary = JSON.parse(Buffer.from(summaryFile.body).toString('utf8')) as Summary;
  const manifest = summaryFile.manifest;
  const html = manifest.files.find((f) => f.key === `${month}/report.html`);
  const expiresInSeconds = delivery.linkExpiresInSeconds;
  const presign = canPresign(store);
  const expiresAtMs = presign ? ctx.clock.nowMs() + expiresInSeconds * 1000 : null;
  const linkOf = async (file: ManifestFile, downloadName: string): Promise<string> =>
    presign
      ? store.presignGet(file.object, expiresInSeconds, downloadName)
      : join(store.location, file.object);

  const results: DeliveryResult[] = [];
  const jobs: { team: string; target: DeliveryTarget; shown: string; message: LeadMessage }[] = [];
  const teams = Object.keys(delivery.teams).sort(compareStrings);
  for (const team of teams) {
    const recipients = recipientsOf(Object.getOwnPropertyDescriptor(delivery.teams, team)!.value, wiring.env);
    const fail = (status: 'failed' | 'skipped', reason: string) => {
      for (const r of recipients) {
        const channel = 'target' in r ? r.target.kind : r.channel;
        results.push({ team, channel, target: r.shown, status, attempts: 0, reason });
      }
    };
    const byTeam = summary.byTeam.find((t) => t.key === team);
    const pack = teamPackOf(manifest, team);
    if (!byTeam || !pack || !html) {
      fail(
        'skipped',
        byTeam ? 'the version has no team pack or report.html' : `no costs for this team in ${month}`,
      );
      continue;
    }
    let message: LeadMessage;
    try {
      const prefix = `gpu-chargeback-${month}-${pack.base}`;
      const links = {
        teamPdf: await linkOf(pack.pdf, `${prefix}-report.pdf`),
        teamCsv: await linkOf(pack.csv, `${prefix}-costs.csv`),
        html: await linkOf(html, `gpu-chargeback-${month}-report.html`),
      };
      message = buildLeadMessage({
        language: ctx.config.report.language,
        month,
        team,
        currency: summary.currency,
        cost: byTeam.cost,
        budget: byTeam.budget,
        variance: byTeam.variance,
        versionId: manifest.versionId,
        // A version that replaced a provisional month to date is not a restatement (its rows are not
        // Correction), though its manifest names the version it replaced.
        restated: manifest.restates !== null && !manifest.replacesProvisional,
        provisional: summary.provisional,
        links,
        linksAreUrls: presign,
        expiresAtMs,
        zone: summary.period.zone,
      });
    } catch (error) {
      fail('failed', `could not sign its links: ${(error as Error).message}`);
      continue;
    }
    for (const r of recipients) {
      if (!('target' in r)) {
        results.push({
          team,
          channel: r.channel,
          target: r.shown,
          status: 'failed',
          attempts: 0,
          reason: r.problem,
        });
      } else if (!wiring.sender.kinds.has(r.target.kind)) {
        results.push({
          team,
          channel: r.target.kind,
          target: r.shown,
          status: 'skipped',
          attempts: 0,
          reason: `${r.target.kind} is not supported by this build (no Amazon SES client)`,
        });
      } else if (options.dryRun) {
        results.push({
          team,
          channel: r.target.kind,
          target: r.shown,
          status: 'dry-run',
          attempts: 0,
          message,
        });
      } else {
        jobs.push({ team, target: r.target, shown: r.shown, message });
      }
    }
  }
  const timeoutMs = delivery.timeoutSeconds * 1000;
  const sent = await mapLimit(jobs, SEND_CONCURRENCY, async (job): Promise<DeliveryResult> => {
    const { result, attempts } = await sendWithRetry(wiring.sender, job.target, job.message, timeoutMs);
    const base = { team: job.team, channel: job.target.kind, target: job.shown, attempts };
    return result.ok ? { ...base, status: 'sent' } : { ...base, status: 'failed', reason: result.reason };
  });
  results.push(...sent);
  results.sort((a, b) => compareStrings(a.team, b.team) || compareStrings(a.channel, b.channel));
  for (const r of results) {
    const fields = {
      month,
      versionId: manifest.versionId,
      team: r.team,
      channel: r.channel,
      target: r.target,
    };
    if (r.status === 'sent') logger.info('delivered to team lead', { ...fields, attempts: r.attempts });
    else if (r.status === 'failed')
      logger.error('delivery failed', { ...fields, attempts: r.attempts, reason: r.reason });
    else if (r.status === 'skipped') logger.warn('delivery skipped', { ...fields, reason: r.reason });
  }
  const count = (status: DeliveryResult['status']) => results.filter((r) => r.status === status).length;
  return {
    month,
    versionId: manifest.versionId,
    sent: count('sent'),
    failed: count('failed'),
    skipped: count('skipped'),
    results,
  };
}

/** How many messages `delivery.teams` asks for (one per channel of each team): the failures of a delivery that could not start. */
function configuredMessages(delivery: NonNullable<Config['delivery']>): number {
  return Object.values(delivery.teams).reduce(
    (n, r) => n + [r.slackWebhookEnv, r.teamsWebhookEnv, r.email].filter((x) => x !== undefined).length,
    0,
  );
}

/**
 * The delivery after a monthly run, when `delivery.enabled`: only after a publication (a first one or a
 * restatement), never for a run that published nothing (unchanged) and never before the commit (a run
 * that fails or is refused throws before it gets here). It never throws: a delivery that cannot even
 * start (the version unreadable) is logged and counted as every configured message failed, so the run's
 * outcome and exit code stay the publication's. Undefined when delivery is off or nothing was published.
 */
export async function deliverAfterPublish(
  ctx: AppContext,
  result: Pick<MonthlyReportResult, 'month' | 'versionId' | 'unchanged'>,
): Promise<DeliveryReport | undefined> {
  const delivery = ctx.config.delivery;
  if (!delivery?.enabled) return undefined;
  if (!ctx.delivery) {
    ctx.logger.warn('delivery is enabled but this run has no sender; nothing delivered', {
      month: result.month,
    });
    return undefined;
  }
  if (result.unchanged) {
    ctx.logger.info('nothing published, nothing delivered (resend with `gpu-chargeback deliver`)', {
      month: result.month,
      versionId: result.versionId,
    });
    return undefined;
  }
  try {
    return await deliverMonth(ctx, ctx.delivery, result.month, { versionId: result.versionId });
  } catch (error) {
    const failed = configuredMessages(delivery);
    ctx.logger.error('delivery failed', {
      month: result.month,
      versionId: result.versionId,
      messages: failed,
      reason: (error as Error).message,
    });
    return { month: result.month, versionId: result.versionId, sent: 0, failed, skipped: 0, results: [] };
  }
}
