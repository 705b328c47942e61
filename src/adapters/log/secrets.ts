import { readFileSync } from 'node:fs';
import type { Config } from '../../config/schema.ts';

/** Environment variables whose names say they hold a secret (their values are redacted wherever they appear). */
const SECRET_ENV_NAME = /token|secret|password|passwd|credential|bearer|auth|api_?key|private_?key|session/i;

/**
 * The secret values a run knows before it sends anything: environment variables named like secrets
 * (AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, a PROM_TOKEN…). The run's Redactor starts with them, so
 * even an error raised before the config is read cannot print one.
 */
export function environmentSecrets(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value !== undefined && SECRET_ENV_NAME.test(name))
    .map(([, value]) => value!);
}

/**
 * The secret values a config points at: the bearer token (from `source.auth.tokenEnv`, or the contents
 * of `source.auth.tokenFile` when readable), every `source.headers` value, and the webhook URLs of
 * `delivery.teams` (from their environment variables). The Prometheus client
 * scrubs what it sends from its own errors; these let the logger and the error path scrub them anywhere.
 */
export function configSecrets(
  config: Pick<Config, 'source'> & Partial<Pick<Config, 'delivery'>>,
  env: Record<string, string | undefined>,
  readText: (path: string) => string = (path) => readFileSync(path, 'utf8'),
): string[] {
  const { auth, headers } = config.source;
  const secrets = Object.values(headers);
  if (auth.kind === 'bearer') {
    if (auth.tokenEnv) secrets.push(env[auth.tokenEnv] ?? '');
    if (auth.tokenFile) {
      try {
        secrets.push(readText(auth.tokenFile));
      } catch {
        // Unreadable now: the authorizer says so when it needs the token.
      }
    }
  }
  // Webhook URLs carry their secret in the path (Slack) or the query (Teams): each is a secret whole.
  for (const recipient of Object.values(config.delivery?.teams ?? {})) {
    for (const variable of [recipient.slackWebhookEnv, recipient.teamsWebhookEnv]) {
      if (variable !== undefined) secrets.push(env[variable] ?? '');
    }
  }
  return secrets.filter((s) => s.trim() !== '');
}
