import type { AppContext } from '../../src/app/context.ts';
import { Redactor } from '../../src/redact.ts';

/**
 * The one error path of the Lambda handlers: whatever a handler throws is rethrown with its message,
 * stack and causes redacted (the runtime prints them to CloudWatch Logs and Step Functions keeps them in
 * the execution history), keeping its class and name (errorType, e.g. InputError or RefusedError).
 */
export function lambdaHandler<E, R>(
  ctx: Pick<AppContext, 'redactor'>,
  handle: (event: E) => Promise<R>,
): (event: E) => Promise<R> {
  return async (event) => {
    try {
      return await handle(event);
    } catch (error) {
      throw (ctx.redactor ?? new Redactor()).redactError(error);
    }
  };
}
