import type { DayCoverage, TimeRange, WindowObservations } from '../types.ts';
import type { WindowGrid } from './window.ts';

/**
 * The day's data coverage: the share of its grid intervals with any kube-state-metrics sample (and,
 * separately, any dcgm-exporter sample; null when the window has none at all), and the runs of
 * intervals without kube-state-metrics as gaps. Raw presence only: bridging does not raise it.
 */
export function coverageOf(
  obs: Pick<WindowObservations, 'ksmPresentTsMs' | 'dcgmPresentTsMs'>,
  window: WindowGrid,
): DayCoverage {
  const first = window.dayFirst;
  const last = window.dayLast;
  const total = last - first;
  const present = (ts: number[]) => {
    const set = new Set<number>();
    for (const t of ts) {
      const k = window.indexOf(t);
      if (k !== undefined && k >= first && k < last) set.add(k);
    }
    return set;
  };
  const ksm = present(obs.ksmPresentTsMs);
  const dcgm = present(obs.dcgmPresentTsMs);
  const gaps: TimeRange[] = [];
  for (let k = first; k < last; k++) {
    if (ksm.has(k)) continue;
    const startMs = window.startMs + k * window.stepMs;
    const prev = gaps.at(-1);
    if (prev && prev.endMs === startMs) prev.endMs += window.stepMs;
    else gaps.push({ startMs, endMs: startMs + window.stepMs });
  }
  return {
    date: window.day.date,
    kubeStateMetrics: total > 0 ? ksm.size / total : 0,
    dcgm: obs.dcgmPresentTsMs.length === 0 ? null : total > 0 ? dcgm.size / total : 0,
    gaps,
  };
}
