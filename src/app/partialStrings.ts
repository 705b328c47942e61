import type { MeteredDay } from '../core/types.ts';

/**
 * The strings of the month's parsed partials, one copy of each: JSON.parse gives every occurrence of a
 * value its own string, so a month read back from 31 partials held a copy of its node, namespace, team,
 * project, resource and source names per pod and day (and of a pod's name and uid per day) — at 10,000
 * GPUs / ~1 M pod-days the largest part of the month step's heap (docs/performance.md, "Core only").
 */
export class PartialStrings {
  readonly #pool = new Map<string, string>();

  /** The one copy of `value`. */
  share(value: string): string {
    const known = this.#pool.get(value);
    if (known !== undefined) return known;
    this.#pool.set(value, value);
    return value;
  }

  /**
   * Replaces, in place, the strings of a freshly parsed day's pods and nodes by their shared copies
   * (equal values, so nothing billed or rendered changes). For a day read from its stored partial,
   * which nothing else references yet.
   */
  shareDay(day: MeteredDay): void {
    const share = (value: string) => this.share(value);
    for (const usage of day.pods) {
      const pod = usage.pod;
      pod.cluster = share(pod.cluster);
      pod.namespace = share(pod.namespace);
      pod.pod = share(pod.pod);
      pod.uid = share(pod.uid);
      usage.node = share(usage.node);
      usage.chargePeriod.date = share(usage.chargePeriod.date);
      usage.gpuResource = share(usage.gpuResource);
      usage.utilizationSource = share(usage.utilizationSource) as typeof usage.utilizationSource;
      usage.team = share(usage.team);
      usage.project = share(usage.project);
      usage.teamSource = share(usage.teamSource) as typeof usage.teamSource;
      usage.phase = share(usage.phase) as typeof usage.phase;
    }
    for (const node of day.nodes) {
      node.cluster = share(node.cluster);
      node.node = share(node.node);
      node.chargePeriod.date = share(node.chargePeriod.date);
      node.instanceType = share(node.instanceType);
      node.capacityType = share(node.capacityType) as typeof node.capacityType;
    }
  }
}
