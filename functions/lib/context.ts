import { createPrometheusSource } from '../../src/adapters/prometheus/index.ts';
import { createLambdaContext, lambdaPdfWorkerFile } from './lambdaContext.ts';

/**
 * The container's AppContext: config validated and SDK clients built once, at cold start; the PDF worker
 * where the function's package ships one (a thread is started per run that renders PDFs, and ended with it).
 */
export const ctx = createLambdaContext(process.env, {
  createSource: createPrometheusSource,
  pdfWorkerFile: lambdaPdfWorkerFile(process.env),
});
