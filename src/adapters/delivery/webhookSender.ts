import type { DeliveryTarget, LeadMessage, MessageSender, SendResult } from '../../ports.ts';

/** The longest part of an error answer kept in a failure's reason (Slack answers `invalid_payload`, etc.). */
const MAX_REASON_BODY = 200;

export interface WebhookSenderOptions {
  /** The fetch to use (default: the global one, undici). */
  fetch?: typeof fetch;
}

/** The code of a fetch failure's cause (ECONNREFUSED, ECONNRESET, ENOTFOUND…), else its message. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
  if (cause && typeof cause.code === 'string') return cause.code;
  if (cause && typeof cause.message === 'string') return cause.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Posts lead messages to Slack and Microsoft Teams incoming webhooks with the global fetch: one POST of
 * the channel's JSON payload per attempt, aborted after `timeoutMs`. A 2xx answer is success; a 5xx
 * answer or a connection that fails before any answer (refused, reset, DNS) is a retryable failure; a
 * 4xx answer (a revoked webhook, a payload the service refuses) and a timeout are not retryable: after a
 * timeout the message may well have arrived, and sending it again would post it twice. Redirects are
 * refused, so a message never goes to another host than the one configured. Email is not a kind this
 * sender has (no SES client in this build). The URL appears in no result: it is a secret.
 */
export function createWebhookSender(options: WebhookSenderOptions = {}): MessageSender {
  const fetchImpl = options.fetch ?? globalThis.fetch;
  return {
    kinds: new Set<DeliveryTarget['kind']>(['slack', 'teams']),
    async send(target, message: LeadMessage, timeoutMs): Promise<SendResult> {
      if (target.kind === 'email') {
        return { ok: false, retryable: false, reason: 'email is not supported by this sender' };
      }
      const body = JSON.stringify(target.kind === 'slack' ? message.slack : message.teams);
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        const response = await fetchImpl(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json; charset=utf-8' },
          body,
          redirect: 'error',
          signal,
        });
        // The answer is read (within the same timeout) so the connection is released; only its start is kept.
        const text = await response.text().catch(() => '');
        if (response.ok) return { ok: true, status: response.status };
        const detail = text.trim().slice(0, MAX_REASON_BODY).replace(/\s+/g, ' ');
        return {
          ok: false,
          retryable: response.status >= 500,
          status: response.status,
          reason: `HTTP ${response.status}${detail ? `: ${detail}` : ''}`,
        };
      } catch (error) {
        if (signal.aborted) {
          return {
            ok: false,
            retryable: false,
            reason: `no answer within ${timeoutMs / 1000} s (timed out)`,
          };
        }
        const reason = networkReason(error);
        // A redirect got an answer: the webhook moved, and asking again would get the same one.
        if (/redirect/i.test(reason))
          return { ok: false, retryable: false, reason: `refused to follow a redirect` };
        return { ok: false, retryable: true, reason: `connection failed: ${reason}` };
      }
    },
  };
}
