import { describe, expect, it } from 'vitest';
import {
  buildLeadMessage,
  escapeCardMarkdown,
  escapeSlack,
  type LeadMessageFacts,
} from '../../../src/render/message/leadMessage.ts';

const URL_PDF =
  'https://b.s3.amazonaws.com/p/2026-10/versions/abc/teams/ml/report.pdf?X-Amz-Signature=aa&X-Amz-Expires=604800';

function facts(over: Partial<LeadMessageFacts> = {}): LeadMessageFacts {
  return {
    language: 'en',
    month: '2026-10',
    team: 'ml',
    currency: { code: 'USD', minorDigits: 2 },
    cost: '1234.50',
    budget: null,
    variance: null,
    versionId: '0123456789abcdef',
    restated: false,
    links: { teamPdf: URL_PDF, teamCsv: 'https://x.test/costs.csv', html: 'https://x.test/report.html' },
    linksAreUrls: true,
    expiresAtMs: Date.parse('2026-11-12T00:00:00Z'),
    zone: 'Asia/Seoul',
    ...over,
  };
}

type SlackPayload = {
  text: string;
  blocks: { type: string; text?: { type: string; text: string }; fields?: { text: string }[] }[];
};
type TeamsPayload = {
  type: string;
  attachments: {
    contentType: string;
    content: {
      type: string;
      body: { type: string; text?: string; facts?: { title: string; value: string }[] }[];
      actions: { type: string; title: string; url: string }[];
    };
  }[];
};

describe('buildLeadMessage', () => {
  it('says month, team, cost, budget and version, and links the three files', () => {
    const m = buildLeadMessage(facts({ budget: '1000.00', variance: '234.50' }));
    expect(m.subject).toBe('GPU chargeback 2026-10: ml');
    expect(m.text).toContain('GPU chargeback · October 2026 · ml');
    expect(m.text).toContain('Cost: $1,234.50');
    expect(m.text).toContain('Budget: $1,000.00 · +$234.50 against the budget');
    expect(m.text).toContain('Version: 0123456789abcdef');
    expect(m.text).toContain(`- Team report (PDF): ${URL_PDF}`);
    expect(m.text).toContain('- Cost lines (CSV): https://x.test/costs.csv');
    expect(m.text).toContain('- Browsable month (HTML): https://x.test/report.html');
    expect(m.text).toContain('Links expire 2026-11-12 09:00 (Asia/Seoul).');
  });

  it('formats money exactly from the decimal, beyond what a double holds', () => {
    // 12345678901234.57 is not a double: Number() would print ...234.56 or ...234.58.
    const usd = buildLeadMessage(facts({ cost: '12345678901234.57' }));
    expect(usd.text).toContain('Cost: $12,345,678,901,234.57');
    const krw = buildLeadMessage(
      facts({ currency: { code: 'KRW', minorDigits: 0 }, cost: '98765432109876543' }),
    );
    expect(krw.text).toContain('Cost: ₩98,765,432,109,876,543');
    const under = buildLeadMessage(facts({ budget: '2000.00', variance: '-765.50' }));
    expect(under.text).toContain('Budget: $2,000.00 · -$765.50 against the budget');
    expect(buildLeadMessage(facts()).text).toContain('Budget: no budget');
  });

  it('writes Korean wording and a Korean team name as they are', () => {
    const m = buildLeadMessage(
      facts({ language: 'ko', team: '연구팀', currency: { code: 'KRW', minorDigits: 0 }, cost: '1500000' }),
    );
    expect(m.subject).toBe('GPU 비용 2026-10: 연구팀');
    expect(m.text).toContain('GPU 비용 · 2026년 10월 · 연구팀');
    expect(m.text).toContain('비용: ₩1,500,000');
    expect(m.text).toContain('예산: 예산 미설정');
    const slack = m.slack as SlackPayload;
    expect(slack.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: 'GPU 비용 · 2026년 10월 · 연구팀', emoji: false },
    });
    const card = (m.teams as TeamsPayload).attachments[0]!.content;
    expect(card.body[0]!.text).toBe('GPU 비용 · 2026년 10월 · 연구팀');
    expect(card.actions.map((a) => a.title)).toEqual([
      '팀 보고서 (PDF)',
      '비용 항목 (CSV)',
      '월간 보기 (HTML)',
    ]);
  });

  it('keeps a hostile team name from pinging a channel, linking elsewhere or adding lines', () => {
    const hostile = '<!channel> [pay](https://evil.test) &\n*x*\u202e';
    const m = buildLeadMessage(facts({ team: hostile }));
    expect(JSON.stringify(m.slack)).not.toContain('\u202e');
    const slack = m.slack as SlackPayload;
    // Slack parses mrkdwn (the top-level text and mrkdwn objects): no raw control sequence survives there;
    // the header is plain_text, which Slack shows as it is, on one line.
    const mrkdwn = [
      slack.text,
      ...slack.blocks.flatMap((b) => [
        ...(b.text?.type === 'mrkdwn' ? [b.text.text] : []),
        ...(b.fields ?? []).map((f) => f.text),
      ]),
    ];
    for (const text of mrkdwn) expect(text).not.toMatch(/<!|<https:\/\/evil/);
    expect(slack.text).toContain('&lt;!channel&gt; [pay](https://evil.test) &amp; *x*');
    expect(slack.blocks[0]!.text!.text).toBe(
      'GPU chargeback · October 2026 · <!channel> [pay](https://evil.test) & *x*',
    );
    // Teams: the Markdown link is escaped, so it renders as text.
    const card = (m.teams as TeamsPayload).attachments[0]!.content;
    expect(card.body[0]!.text).toContain('\\[pay\\]\\(https://evil\\.test\\)');
    expect(card.body[0]!.text).not.toMatch(/[^\\]\[pay\]/);
    // The plain text: one line for the heading.
    expect(m.text.split('\n')[0]).toBe(
      'GPU chargeback · October 2026 · <!channel> [pay](https://evil.test) & *x*',
    );
  });

  it('cuts a very long team name to 80 characters', () => {
    const m = buildLeadMessage(facts({ team: 'a'.repeat(500) }));
    expect(m.subject).toBe(`GPU chargeback 2026-10: ${'a'.repeat(79)}…`);
    const header = (m.slack as SlackPayload).blocks[0]!.text!.text;
    expect(header.length).toBeLessThanOrEqual(150); // Slack's header limit
  });

  it('builds the documented payload shapes: Slack text + blocks, Teams message with an Adaptive Card', () => {
    const m = buildLeadMessage(facts());
    const slack = m.slack as SlackPayload;
    expect(slack.blocks.map((b) => b.type)).toEqual(['header', 'section', 'section', 'context']);
    // Slack decodes &amp; back in link targets; a raw & would be a control character.
    expect(slack.blocks[2]!.text!.text).toContain(`<${URL_PDF.replaceAll('&', '&amp;')}|Team report (PDF)>`);
    const teams = m.teams as TeamsPayload;
    expect(teams.type).toBe('message');
    expect(teams.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(teams.attachments[0]!.content.type).toBe('AdaptiveCard');
    expect(teams.attachments[0]!.content.actions).toEqual([
      { type: 'Action.OpenUrl', title: 'Team report (PDF)', url: URL_PDF },
      { type: 'Action.OpenUrl', title: 'Cost lines (CSV)', url: 'https://x.test/costs.csv' },
      { type: 'Action.OpenUrl', title: 'Browsable month (HTML)', url: 'https://x.test/report.html' },
    ]);
  });

  it('shows file paths, without expiry or buttons, for a local directory', () => {
    const m = buildLeadMessage(
      facts({
        linksAreUrls: false,
        expiresAtMs: null,
        links: { teamPdf: '/r/a.pdf', teamCsv: '/r/a.csv', html: '/r/r.html' },
      }),
    );
    expect(m.text).not.toContain('expire');
    expect((m.teams as TeamsPayload).attachments[0]!.content.actions).toEqual([]);
    expect(JSON.stringify(m.slack)).toContain('`/r/a.pdf`');
  });

  it('says that a provisional month covers only its month to date, in every channel and in Korean', () => {
    const provisional = { throughDay: '2026-10-19', daysMetered: 19, daysInMonth: 31 };
    const m = buildLeadMessage(facts({ provisional }));
    expect(m.text).toContain(
      'Version: 0123456789abcdef (provisional: month to date through 2026-10-19, 19 of 31 days;',
    );
    expect(JSON.stringify(m.slack)).toContain('month to date through 2026-10-19');
    expect(JSON.stringify(m.teams)).toContain('19 of 31 days'); // the card escapes its Markdown (2026\\-10)
    expect(buildLeadMessage(facts({ provisional, language: 'ko' })).text).toContain(
      '2026-10-19까지의 월 누계, 31일 중 19일',
    );
  });

  it('says that a version restates an earlier one', () => {
    expect(buildLeadMessage(facts({ restated: true })).text).toContain(
      'Version: 0123456789abcdef (restates an earlier version)',
    );
  });
});

describe('escaping', () => {
  it('escapes only what Slack decodes: & < >', () => {
    expect(escapeSlack('a & <b> *c*')).toBe('a &amp; &lt;b&gt; *c*');
  });
  it('backslash-escapes Adaptive Card Markdown', () => {
    expect(escapeCardMarkdown('[a](b) *c* _d_')).toBe('\\[a\\]\\(b\\) \\*c\\* \\_d\\_');
  });
});
