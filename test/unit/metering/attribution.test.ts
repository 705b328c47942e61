import { describe, expect, it } from 'vitest';
import { attribute, attributorOf, firstLabel } from '../../../src/core/metering/index.ts';

const rule = {
  podLabels: ['label_team', 'label_owner'],
  namespaceLabels: ['label_team'],
  default: 'unallocated',
};

describe('attribute', () => {
  it('takes the first pod label, then the namespace label, then the default', () => {
    expect(attribute(rule, { label_owner: 'vision' }, { label_team: 'nlp' })).toEqual({
      value: 'vision',
      source: 'pod-label',
    });
    expect(attribute(rule, {}, { label_team: 'nlp' })).toEqual({ value: 'nlp', source: 'namespace-label' });
    expect(attribute(rule, undefined, undefined)).toEqual({ value: 'unallocated', source: 'default' });
  });
});

describe('firstLabel', () => {
  describe('edge cases', () => {
    it('skips a label whose value is empty', () => {
      const labels = { label_team: '', label_owner: 'speech' };
      expect(firstLabel(labels, ['label_team', 'label_owner'])).toBe('speech');
    });
  });
});

describe('attributorOf', () => {
  it('finds pod labels by cluster and uid, and namespace labels by cluster and namespace', () => {
    const pod = { cluster: 'east', namespace: 'ml', pod: 'p', uid: 'u1' };
    const attribute = attributorOf(
      {
        podLabels: [
          { pod, labels: { label_project: 'p1' } },
          { pod: { ...pod, cluster: 'west' }, labels: { label_team: 'west-team' } },
        ],
        namespaceLabels: [
          { cluster: 'east', namespace: 'ml', labels: { label_team: 'east-ml' } },
          { cluster: 'west', namespace: 'ml', labels: { label_team: 'west-ml' } },
        ],
      },
      {
        team: { podLabels: ['label_team'], namespaceLabels: ['label_team'], default: 'unallocated' },
        project: { podLabels: ['label_project'], namespaceLabels: [], default: 'none' },
      },
    );
    expect(attribute(pod)).toEqual({
      team: { value: 'east-ml', source: 'namespace-label' },
      project: { value: 'p1', source: 'pod-label' },
    });
  });

  it('bills a pod and a namespace under the label set seen last in the day, whatever the order', () => {
    const pod = { cluster: '', namespace: 'ml', pod: 'p', uid: 'u1' };
    const options = {
      team: { podLabels: ['label_team'], namespaceLabels: ['label_team'], default: 'unallocated' },
      project: { podLabels: [], namespaceLabels: ['label_project'], default: 'none' },
    };
    const zeta = { pod, labels: { label_team: 'zeta' }, lastSeenMs: 1_000 };
    const alpha = { pod, labels: { label_team: 'alpha' }, lastSeenMs: 2_000 };
    // Seen only after the day's end (no time): never before a set seen in the day.
    const late = { pod, labels: { label_team: 'late' } };
    const ns = (project: string, lastSeenMs?: number) => ({
      cluster: '',
      namespace: 'ml',
      labels: { label_project: project },
      ...(lastSeenMs === undefined ? {} : { lastSeenMs }),
    });
    for (const podLabels of [
      [zeta, alpha, late],
      [late, alpha, zeta],
      [alpha, late, zeta],
    ]) {
      const attribute = attributorOf(
        { podLabels, namespaceLabels: [ns('old', 5_000), ns('new', 3_000)] },
        options,
      );
      expect(attribute(pod)).toEqual({
        team: { value: 'alpha', source: 'pod-label' },
        project: { value: 'old', source: 'namespace-label' },
      });
    }
    // Without times (one set, or a source that cannot tell) and at the same instant: the set listed last.
    const untimed = attributorOf(
      {
        podLabels: [
          { pod, labels: { label_team: 'first' } },
          { pod, labels: { label_team: 'second' } },
        ],
        namespaceLabels: [ns('a', 7), ns('b', 7)],
      },
      options,
    );
    expect(untimed(pod).team.value).toBe('second');
    expect(untimed(pod).project.value).toBe('b');
  });
});
