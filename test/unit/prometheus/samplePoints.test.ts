import { describe, expect, it } from 'vitest';
import { SampleBuilder, SamplePoints, unionOfTimes } from '../../../src/adapters/prometheus/samplePoints.ts';

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

  it('takes series after series as views of shared arrays, never changed by later pushes', () => {
    const b = new SampleBuilder(8);
    b.push(1, 10);
    b.push(2, 20);
    const first = b.take();
    b.push(3, 30);
    const second = b.take();
    // One slab: two series, one pair of arrays.
    expect(second.tsMs.buffer).toBe(first.tsMs.buffer);
    expect(b.length).toBe(0);
    // A series that does not fit moves to new arrays (the samples already pushed with it).
    for (let i = 0; i < 12; i++) b.push(100 + i, i);
    const third = b.take();
    expect(third.tsMs.buffer).not.toBe(first.tsMs.buffer);
    expect([...first]).toEqual([
      [1, 10],
      [2, 20],
    ]);
    expect([...second]).toEqual([[3, 30]]);
    expect([...third]).toEqual(Array.from({ length: 12 }, (_, i) => [100 + i, i]));
    expect(b.take()).toBe(SamplePoints.EMPTY);
  });

  it('copies out exactly what was pushed since reset, keeping its arrays for the next', () => {
    const b = new SampleBuilder(16);
    b.push(1, 1);
    b.push(2, 2);
    const first = b.copy();
    expect(first.tsMs.length).toBe(2);
    b.reset();
    b.push(3, 3);
    expect(b.owns(b.view())).toBe(true);
    expect(b.owns(first)).toBe(false);
    expect([...b.copy()]).toEqual([[3, 3]]);
    expect([...first]).toEqual([
      [1, 1],
      [2, 2],
    ]);
  });
});

describe('unionOfTimes', () => {
  it('is the distinct times of every list, ascending, as sorting a Set of them gives', () => {
    const lists = [[3, 5, 7], [1, 3, 5, 7, 9], [9, 2, 2, 8], [], [4], [1, 3]].map((l) =>
      Float64Array.from(l),
    );
    const expected = [...new Set(lists.flatMap((l) => [...l]))].sort((a, b) => a - b);
    expect([...unionOfTimes(lists)]).toEqual(expected);
    expect([...unionOfTimes([])]).toEqual([]);
    // A list that adds nothing leaves the union as it was (no copy).
    const grid = Float64Array.from([60_000, 120_000, 180_000]);
    expect(unionOfTimes([grid, grid.subarray(1)])).toBe(grid);
  });
});
