import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import { createLambdaContext } from './lambdaContext.ts';

/** The container's AppContext: config validated and SDK clients built once, at cold start. */
export const ctx = createLambdaContext(process.env, { createSource: createPrometheusSource });
