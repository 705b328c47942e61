/**
 * A URL without credentials, query string or trailing slashes, for descriptions, logs and error messages
 * (a query string may carry a token; `user:password@` certainly does).
 */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
  } catch {
    return '(invalid url)';
  }
}
