import { exactDecimal } from '../../core/money.ts';
import type { LeadMessage } from '../../ports.ts';
import { createReportFormat } from '../pdf/format.ts';
import { fill, type ReportLanguage, wordingFor } from '../pdf/templates.ts';
import { sanitizeLabel } from '../pdf/text.ts';

/** What a team lead is told about a published month (all from the manifest and summary.json). */
export interface LeadMessageFacts {
  language: ReportLanguage;
  month: string;
  /** The team's name as the cluster labels carry it (untrusted text). */
  team: string;
  currency: { code: string; minorDigits: number };
  /** The team's cost, the budget and cost − budget: summary.json's decimal strings. */
  cost: string;
  budget: string | null;
  variance: string | null;
  versionId: string;
  /** The version replaced an earlier one (its rows are ChargeClass=Correction). */
  restated: boolean;
  /** A provisional month to date (summary.json `provisional`): the cost covers only these days. */
  provisional?: { throughDay: string; daysMetered: number; daysInMonth: number } | undefined;
  /** Presigned URLs (an S3 store), or absolute file paths (a local directory store). */
  links: { teamPdf: string; teamCsv: string; html: string };
  /** True when `links` are URLs; false for file paths. */
  linksAreUrls: boolean;
  /** When the URLs stop working (epoch ms), shown in `zone`; null for file paths. */
  expiresAtMs: number | null;
  zone: string;
}

/** A team name as a message shows it: no control or bidi characters, at most this many characters. */
const MAX_TEAM_CHARS = 80;

function teamLabel(team: string, unnamed: string): string {
  const clean = sanitizeLabel(team);
  const chars = Array.from(clean);
  const short = chars.length > MAX_TEAM_CHARS ? `${chars.slice(0, MAX_TEAM_CHARS - 1).join('')}…` : clean;
  return short || unnamed;
}

/**
 * Slack mrkdwn treats `&`, `<` and `>` as control characters (`<!channel>` notifies a whole channel,
 * `<url|text>` is a link): they are written as HTML entities, the only escaping Slack decodes
 * (https://api.slack.com/reference/surfaces/formatting#escaping).
 */
export function escapeSlack(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

/**
 * Adaptive Card TextBlocks render a Markdown subset (emphasis, lists, `[text](url)` links): its
 * characters are backslash-escaped, so a team named `[pay here](https://…)` stays text.
 */
export function escapeCardMarkdown(text: string): string {
  return text.replace(/[\\`*_{}[\]()#+\-.!<>~|]/g, (c) => `\\${c}`);
}

/**
 * The message a team lead gets after a month is published: month, team, the team's cost (formatted
 * exactly from its decimal: Intl formats the decimal string, never a float), budget and variance when the
 * team has one, the version, and links to the team's report.pdf and costs.csv and the month's report.html.
 * Every word comes from templates/ (en, ko). Pure.
 *
 * Payload shapes, as their documentation defines them:
 * - Slack incoming webhook: `{ text, blocks }`, `text` being the notification fallback when blocks are
 *   given (https://docs.slack.dev/messaging/sending-messages-using-incoming-webhooks and the
 *   IncomingWebhookSendArguments of @slack/webhook: text, blocks); blocks `header` (plain_text, at most
 *   150 characters), `section` (mrkdwn text / fields), `context`.
 * - Microsoft Teams incoming webhook or Workflows "post to a channel when a webhook request is received":
 *   `{ type: "message", attachments: [{ contentType: "application/vnd.microsoft.card.adaptive",
 *   content: <AdaptiveCard> }] }` (MicrosoftDocs/msteams-docs, msteams-platform/webhooks-and-connectors/
 *   how-to/add-incoming-webhook.md, "Send Adaptive Cards using an Incoming Webhook"); the card uses
 *   TextBlock, FactSet and Action.OpenUrl of Adaptive Cards 1.4.
 */
export function buildLeadMessage(facts: LeadMessageFacts): LeadMessage {
  const wording = wordingFor(facts.language);
  const w = wording.delivery;
  const fmt = createReportFormat(
    wording.locale,
    facts.currency.code,
    facts.currency.minorDigits,
    wording.common.none,
  );
  const team = teamLabel(facts.team, wording.common.unnamed);
  const month = fmt.month(facts.month);
  const heading = fill(w.heading, { month, team });
  const cost = fmt.money(exactDecimal(facts.cost));
  const budget =
    facts.budget === null
      ? w.noBudget
      : `${fmt.money(exactDecimal(facts.budget))} · ${fill(w.variance, {
          variance: fmt.signedMoney(facts.variance === null ? null : exactDecimal(facts.variance)),
        })}`;
  const version = facts.provisional
    ? fill(w.provisional, {
        version: facts.versionId,
        throughDay: facts.provisional.throughDay,
        days: facts.provisional.daysMetered,
        daysInMonth: facts.provisional.daysInMonth,
      })
    : facts.restated
      ? fill(w.restated, { version: facts.versionId })
      : facts.versionId;
  const links: [string, string][] = [
    [w.teamPdf, facts.links.teamPdf],
    [w.teamCsv, facts.links.teamCsv],
    [w.html, facts.links.html],
  ];
  const expires =
    facts.expiresAtMs === null
      ? null
      : fill(w.expires, { expires: `${fmt.dateTime(facts.expiresAtMs, facts.zone)} (${facts.zone})` });
  const facts3: [string, string][] = [
    [w.cost, cost],
    [w.budget, budget],
    [w.version, version],
  ];

  const text = [
    heading,
    ...facts3.map(([k, v]) => `${k}: ${v}`),
    '',
    `${w.links}:`,
    ...links.map(([k, v]) => `- ${k}: ${v}`),
    ...(expires ? ['', expires] : []),
  ].join('\n');

  const slackLinks = facts.linksAreUrls
    ? links.map(([k, v]) => `• <${escapeSlack(v)}|${escapeSlack(k)}>`)
    : links.map(([k, v]) => `• ${escapeSlack(k)}: \`${escapeSlack(v)}\``);
  const slack = {
    text: escapeSlack(`${heading}: ${cost}`),
    blocks: [
      { type: 'header', text: { type: 'plain_text', text: heading, emoji: false } },
      {
        type: 'section',
        fields: facts3.map(([k, v]) => ({ type: 'mrkdwn', text: `*${escapeSlack(k)}*\n${escapeSlack(v)}` })),
      },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: [`*${escapeSlack(w.links)}*`, ...slackLinks].join('\n') },
      },
      ...(expires
        ? [{ type: 'context', elements: [{ type: 'plain_text', text: expires, emoji: false }] }]
        : []),
    ],
  };

  const card = {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    body: [
      { type: 'TextBlock', text: escapeCardMarkdown(heading), weight: 'Bolder', size: 'Medium', wrap: true },
      {
        type: 'FactSet',
        facts: facts3.map(([title, value]) => ({
          title: escapeCardMarkdown(title),
          value: escapeCardMarkdown(value),
        })),
      },
      ...(facts.linksAreUrls
        ? []
        : links.map(([k, v]) => ({ type: 'TextBlock', text: escapeCardMarkdown(`${k}: ${v}`), wrap: true }))),
      ...(expires
        ? [{ type: 'TextBlock', text: escapeCardMarkdown(expires), isSubtle: true, wrap: true }]
        : []),
    ],
    actions: facts.linksAreUrls ? links.map(([title, url]) => ({ type: 'Action.OpenUrl', title, url })) : [],
  };
  const teams = {
    type: 'message',
    attachments: [
      { contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card },
    ],
  };

  return { subject: fill(w.subject, { month: facts.month, team }), text, slack, teams };
}
