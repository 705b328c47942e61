import type { ConfigInput } from '../config/schema.ts';

/**
 * The configuration of the built-in demo: a price catalog for the demo cluster's instance types
 * (us-east-1 Linux list prices from shared/REFERENCE.md; Spot figures are illustrative, about 55-65 %
 * below On-Demand) and an on-prem rate per A100 GPU-hour, team budgets, and the demo source. Used by `gpu-chargeback demo`; a --config file
 * given to `demo` is merged over it.
 */
/**
 * Where the demo writes unless told otherwise: apart from `./reports` (the default of output.location), so
 * a real report never finds the demo's months or daily partials, and the demo never restates a real month.
 */
export const DEMO_OUTPUT_LOCATION = './reports-demo';

export const demoConfig: ConfigInput = {
  timezone: 'Asia/Seoul',
  source: { kind: 'demo' },
  pricing: {
    catalogVersion: 'demo-2026-11 (us-east-1 list prices; illustrative Spot)',
    currency: 'USD',
    instanceTypes: {
      'g4dn.xlarge': { gpus: 1, gpuModel: 'T4', onDemand: 0.526, spot: 0.2104 },
      'g4dn.12xlarge': { gpus: 4, gpuModel: 'T4', onDemand: 3.912, spot: 1.5648 },
      'g5.xlarge': { gpus: 1, gpuModel: 'A10G', onDemand: 1.006, spot: 0.4024 },
      'g5.12xlarge': { gpus: 4, gpuModel: 'A10G', onDemand: 5.672, spot: 2.2688 },
      'g5.48xlarge': { gpus: 8, gpuModel: 'A10G', onDemand: 16.288, spot: 6.5152 },
      'p4d.24xlarge': { gpus: 8, gpuModel: 'A100', onDemand: 32.7726, spot: 13.109, committed: 21.9576 },
      'p5.48xlarge': { gpus: 8, gpuModel: 'H100', onDemand: 55.04, spot: 22.016, committed: 38.528 },
    },
    // The on-prem DGX A100 (no instance type): an illustrative amortized rate per GPU-hour.
    gpuModels: { A100: { perGpuHour: 1.2 } },
  },
  allocation: {
    utilization: { mode: 'allocation' },
    idle: { mode: 'separate', platformTeam: 'platform' },
  },
  report: {
    language: 'en',
    budgets: {
      'ml-research': 30000,
      recsys: 7500,
      vision: 5500,
      'search-ranking': 4000,
      'genai-apps': 3500,
      speech: 2000,
    },
  },
  output: { location: DEMO_OUTPUT_LOCATION },
};
