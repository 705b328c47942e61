import { describe, expect, it } from 'vitest';
import { SampleBuilder, SamplePoints } from '../../../src/adapters/prometheus/samplePoints.ts';

describe('SampleBuilder', () => {
  it('builds exactly the samples pushed, whether it grew, was filled exactly or left room', () => {
    for (const [capacity, count] of [
      [1, 5],
      [4, 4],
      [8, 3],
    ] as const) {
      const b = new SampleBuilder(capacity);
      for (let i = 0; i < count; i++) b.push(1000 * i, i / 10);
      const built = b.build();
      expect(built.length, `capacity ${capacity}, ${count} samples`).toBe(count);
      expect([...built]).toEqual(Array.from({ length: count }, (_, i) => [1000 * i, i / 10]));
    }
    expect(new SampleBuilder().build()).toBe(SamplePoints.EMPTY);
  });

  it('never changes points it has built, when it is pushed to afterwards', () => {
    // Full: the points share the builder's arrays, so the next push must grow into new ones.
    const full = new SampleBuilder(2);
    full.push(1, 1);
    full.push(2, 2);
    const first = full.build();
    full.push(3, 3);
    expect([...first]).toEqual([
      [1, 1],
      [2, 2],
    ]);
    expect([...full.build()]).toEqual([
      [1, 1],
      [2, 2],
      [3, 3],
    ]);
    // With room left: the points are a copy.
    const roomy = new SampleBuilder(4);
    roomy.push(1, 1);
    const one = roomy.build();
    roomy.push(2, 2);
    expect([...one]).toEqual([[1, 1]]);
  });
});
