import type { ChargePeriod, Fraction, MeteredDay } from '../core/types.ts';

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

  /** {@link share} for one field: a value equal to the field's value before gets that value's copy. */
  #repeating(): (value: string) => string {
    let last: string | undefined;
    let shared = '';
    return (value) => {
      if (value !== last) {
        last = value;
        shared = this.share(value);
      }
      return shared;
    };
  }

  /**
   * Replaces, in place, the strings of a freshly parsed day's pods and nodes by their shared copies, and
   * its pods' and nodes' charge periods and weights by one object per distinct value (JSON.parse gives
   * each pod its own; ~90 bytes a pod-day). Equal values, so nothing billed or rendered changes; nothing
   * mutates either once a day is metered. For a day read from its stored partial, which nothing else
   * references yet.
   */
  shareDay(day: MeteredDay): void {
    const share = (value: string) => this.share(value);
    const periods = new ValueObjects<ChargePeriod>(
      (a, b) => a.startMs === b.startMs && a.endMs === b.endMs && a.date === b.date,
      (period) => {
        period.date = share(period.date);
      },
    );
    const weights = new ValueObjects<Fraction>(
      (a, b) => a.numerator === b.numerator && a.denominator === b.denominator,
    );
    // Fields that mostly repeat from one pod to the next (a partial lists a node's pods together): the
    // value of the pod before is compared first, which costs less than hashing it for the pool.
    const cluster = this.#repeating();
    const node = this.#repeating();
    const gpuResource = this.#repeating();
    const utilizationSource = this.#repeating();
    const teamSource = this.#repeating();
    const phase = this.#repeating();
    for (const usage of day.pods) {
      const pod = usage.pod;
      pod.cluster = cluster(pod.cluster);
      pod.namespace = share(pod.namespace);
      pod.pod = share(pod.pod);
      pod.uid = share(pod.uid);
      usage.node = node(usage.node);
      usage.chargePeriod = periods.share(usage.chargePeriod);
      usage.weight = weights.share(usage.weight);
      usage.gpuResource = gpuResource(usage.gpuResource);
      usage.utilizationSource = utilizationSource(usage.utilizationSource) as typeof usage.utilizationSource;
      usage.team = share(usage.team);
      usage.project = share(usage.project);
      usage.teamSource = teamSource(usage.teamSource) as typeof usage.teamSource;
      usage.phase = phase(usage.phase) as typeof usage.phase;
    }
    for (const node of day.nodes) {
      node.cluster = share(node.cluster);
      node.node = share(node.node);
      node.chargePeriod = periods.share(node.chargePeriod);
      node.instanceType = share(node.instanceType);
      node.capacityType = share(node.capacityType) as typeof node.capacityType;
    }
  }
}

/**
 * One object per distinct value among a day's few (its charge periods, the GPU weights): the last one
 * matched is tried first, then the others in order; `adopt` prepares an object the first time it is kept.
 * Past MAX_KEPT distinct values a new value keeps its own object (a day never has that many).
 */
class ValueObjects<T> {
  static readonly MAX_KEPT = 64;
  readonly #kept: T[] = [];
  readonly #same: (a: T, b: T) => boolean;
  readonly #adopt: (value: T) => void;
  #last: T | undefined;

  constructor(same: (a: T, b: T) => boolean, adopt: (value: T) => void = () => {}) {
    this.#same = same;
    this.#adopt = adopt;
  }

  share(value: T): T {
    if (this.#last !== undefined && this.#same(this.#last, value)) return this.#last;
    const known = this.#kept.find((k) => this.#same(k, value));
    if (known !== undefined) return (this.#last = known);
    this.#adopt(value);
    if (this.#kept.length < ValueObjects.MAX_KEPT) this.#kept.push(value);
    return (this.#last = value);
  }
}
