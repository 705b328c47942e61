import { readFile } from 'node:fs/promises';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import type { Config } from '../../config/schema.ts';
import { ConfigError } from '../../errors.ts';

/** Adds authentication headers to one request (the body is needed to sign it). Never logs anything. */
export type Authorizer = (request: {
  url: string;
  headers: Record<string, string>;
  body: string;
}) => Promise<Record<string, string>>;

/** AWS credentials as @aws-sdk/credential-provider-node returns them. */
export type AwsCredentialsProvider = () => Promise<{
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}>;

/**
 * The authorizer for `source.auth`: nothing; a bearer token read from an environment variable or a
 * file (re-read on every request, so rotated projected tokens work); or SigV4 for Amazon Managed
 * Prometheus (service "aps", credentials from the default AWS chain unless injected).
 */
export function createAuthorizer(
  auth: Config['source']['auth'],
  env: Record<string, string | undefined>,
  credentials?: AwsCredentialsProvider,
): Authorizer {
  switch (auth.kind) {
    case 'none':
      return async ({ headers }) => headers;
    case 'bearer':
      return async ({ headers }) => {
        let token: string | undefined;
        if (auth.tokenEnv) token = env[auth.tokenEnv]?.trim();
        if (!token && auth.tokenFile) {
          try {
            token = (await readFile(auth.tokenFile, 'utf8')).trim();
          } catch (error) {
            throw new ConfigError(
              `cannot read source.auth.tokenFile ${auth.tokenFile}: ${(error as NodeJS.ErrnoException).code}`,
              [],
              { cause: error },
            );
          }
        }
        if (!token) {
          throw new ConfigError(
            `no bearer token: ${auth.tokenEnv ? `environment variable ${auth.tokenEnv} is empty` : `${auth.tokenFile} is empty`}`,
          );
        }
        return { ...headers, authorization: `Bearer ${token}` };
      };
    case 'sigv4': {
      let provider = credentials;
      const signer = async () => {
        if (!provider) {
          const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
          provider = defaultProvider();
        }
        return new SignatureV4({
          service: auth.service,
          region: auth.region,
          credentials: provider,
          sha256: Sha256,
        });
      };
      return async ({ url, headers, body }) => {
        const target = new URL(url);
        const signed = await (
          await signer()
        ).sign({
          method: 'POST',
          protocol: target.protocol,
          hostname: target.hostname,
          ...(target.port ? { port: Number(target.port) } : {}),
          path: target.pathname,
          query: {},
          headers: { ...headers, host: target.host },
          body,
        });
        // fetch sets the same Host itself and refuses to take it from us; it stays signed.
        const { host: _host, ...rest } = signed.headers as Record<string, string>;
        return rest;
      };
    }
  }
}
