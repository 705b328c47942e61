import { instanceKeyOf, InvoiceLedger } from '../core/billing/ledger.ts';
import type { MonthInvoice } from '../core/month/index.ts';
import { chargePeriods } from '../core/period.ts';
import { priceCutInstants } from '../core/pricing/index.ts';
import type { BillingPeriod, MeteredDay } from '../core/types.ts';
import type { AppContext } from './context.ts';

/**
 * Reads the month's cost export (config `billing`) into the month stage's invoice: streams the export
 * through an InvoiceLedger that keeps only the costs of the metered nodes' instances and of GPU instances
 * (catalog types and billing.gpuInstanceTypes), per instance and charge period (the days split at the
 * same price cuts metering used).
 */
export async function readInvoice(
  ctx: AppContext,
  period: BillingPeriod,
  days: readonly MeteredDay[],
): Promise<MonthInvoice | undefined> {
  const { config, logger } = ctx;
  const billing = config.billing;
  if (!billing || !ctx.billing) return undefined;
  const ledger = new InvoiceLedger(chargePeriods(period.days, priceCutInstants(config.pricing, period)));
  const instanceKeys = new Set<string>();
  for (const day of days)
    for (const node of day.nodes) if (node.providerId) instanceKeys.add(instanceKeyOf(node.providerId));
  const gpuTypes = new Set<string>([
    ...Object.keys(config.pricing.instanceTypes),
    ...Object.values(config.pricing.byCluster).flatMap((c) => Object.keys(c.instanceTypes)),
    ...Object.keys(billing.gpuInstanceTypes),
  ]);
  const stats = await ctx.billing.read(
    {
      range: { startMs: period.startMs, endMs: period.endMs },
      currency: config.pricing.currency,
      instanceKeys,
      isGpuInstanceType: (type) => gpuTypes.has(type),
      tags: billing.tags,
    },
    ledger,
  );
  const costs = ledger.result();
  logger.info('billing export read', {
    month: period.month,
    location: ctx.billing.description,
    format: billing.format,
    files: stats.files,
    rows: stats.rows,
    linesKept: stats.lines,
    instances: costs.instances.size,
    nodesWithProviderId: instanceKeys.size,
    coveredUntil: costs.coveredUntilMs === null ? null : new Date(costs.coveredUntilMs).toISOString(),
  });
  if (instanceKeys.size === 0)
    logger.warn(
      'no metered node has a provider id (kube_node_info provider_id): no node can be priced from the invoice',
      { month: period.month },
    );
  return {
    costs,
    source: { format: billing.format, description: ctx.billing.description },
    gpuInstanceTypes: billing.gpuInstanceTypes,
    defaultProject: config.metering.project.default,
  };
}
