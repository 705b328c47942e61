import { describe, expect, it } from 'vitest';
import { configSecrets } from '../../../src/adapters/log/secrets.ts';
import { parseConfig } from '../../../src/config/loadConfig.ts';
import { Redactor } from '../../../src/redact.ts';

const withDelivery = (delivery: unknown) => () => parseConfig({ delivery });
const messageOf = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    return (error as Error).message;
  }
  return '';
};

describe('config delivery', () => {
  it('is off and absent by default, and has safe defaults when present', () => {
    expect(parseConfig({}).delivery).toBeUndefined();
    expect(parseConfig({ delivery: {} }).delivery).toEqual({
      enabled: false,
      linkExpiresInSeconds: 604_800,
      timeoutSeconds: 10,
      teams: {},
    });
  });

  it('never takes a webhook URL itself: only the name of the variable holding it', () => {
    const url = 'https://hooks.slack.com/services/T0/B0/abcdef';
    expect(messageOf(withDelivery({ teams: { ml: { slackWebhook: url } } }))).toMatch(
      /delivery\.teams\.ml.*slackWebhook/,
    );
    expect(messageOf(withDelivery({ teams: { ml: { slackWebhookEnv: url } } }))).toMatch(
      /delivery\.teams\.ml\.slackWebhookEnv: must be the NAME of an environment variable/,
    );
  });

  it('needs at least one channel per team, a valid email, and links of at most 7 days', () => {
    expect(messageOf(withDelivery({ teams: { ml: {} } }))).toMatch(/needs at least one of slackWebhookEnv/);
    expect(messageOf(withDelivery({ teams: { ml: { email: 'not-an-address' } } }))).toMatch(
      /delivery\.teams\.ml\.email/,
    );
    expect(messageOf(withDelivery({ linkExpiresInSeconds: 604_801 }))).toMatch(
      /delivery\.linkExpiresInSeconds/,
    );
    expect(messageOf(withDelivery({ timeoutSeconds: 0 }))).toMatch(/delivery\.timeoutSeconds/);
  });

  it('tells the redactor the webhook URLs named by the config', () => {
    const config = parseConfig({
      delivery: {
        teams: { ml: { slackWebhookEnv: 'ML_HOOK', teamsWebhookEnv: 'ML_TEAMS' }, x: { email: 'a@b.co' } },
      },
    });
    const env = {
      ML_HOOK: 'https://hooks.slack.com/services/T0/B0/abcdefghijkl',
      ML_TEAMS: 'https://x.webhook.office.com/webhookb2/zzz?sig=123456',
    };
    const secrets = configSecrets(config, env);
    expect(secrets).toEqual(expect.arrayContaining([env.ML_HOOK, env.ML_TEAMS]));
    const redactor = new Redactor(secrets);
    expect(redactor.text(`posting to ${env.ML_HOOK} failed`)).toBe('posting to [REDACTED] failed');
  });
});
