/**
 * Moved to src/app/runMetrics.ts: turning a run's outcome and summary into metric datums is pure and
 * belongs with the use cases, not with the CloudWatch adapter. This re-export only keeps compiling the
 * importers that other work in progress owns (src/cli/commands.ts, functions/lib/meterHandlers.ts,
 * functions/lib/reportHandlers.ts); repoint them to src/app/runMetrics.ts and delete this file (the
 * architecture test lists it as the one adapter that imports the app layer, and fails once it is gone
 * until that entry is removed too).
 */
export { dayRunMetrics, type JobName, metricNames, type RunOutcome, runMetrics } from '../../app/runMetrics.ts';
