import { describe, expect, it } from 'vitest';
import { WeightedGate } from '../../src/concurrency.ts';

/** Acquires `weight` and records when it was admitted (its label), without waiting for it here. */
function admitLater(gate: WeightedGate, weight: number, label: string, admitted: string[]): Promise<void> {
  return gate.acquire(weight).then(() => void admitted.push(label));
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('WeightedGate', () => {
  it('admits what fits at once, and the rest first come first served as weight is released', async () => {
    const gate = new WeightedGate(10);
    const admitted: string[] = [];
    const a = admitLater(gate, 4, 'a', admitted);
    const b = admitLater(gate, 4, 'b', admitted);
    const c = admitLater(gate, 4, 'c', admitted); // 12 > 10: waits
    const d = admitLater(gate, 1, 'd', admitted); // would fit, but c came first
    await settle();
    expect(admitted).toEqual(['a', 'b']);
    expect(gate.waited).toBe(2);
    gate.release(4);
    await Promise.all([a, b, c, d]);
    expect(admitted).toEqual(['a', 'b', 'c', 'd']);
  });

  it('runs a weight larger than the capacity alone rather than never', async () => {
    const gate = new WeightedGate(10);
    const admitted: string[] = [];
    await admitLater(gate, 3, 'small', admitted);
    const big = admitLater(gate, 25, 'big', admitted);
    const after = admitLater(gate, 3, 'after', admitted);
    await settle();
    expect(admitted).toEqual(['small']);
    gate.release(3);
    await big;
    await settle();
    expect(admitted).toEqual(['small', 'big']); // alone: 'after' still waits
    gate.release(25);
    await after;
    expect(admitted).toEqual(['small', 'big', 'after']);
  });

  it('admits weightless work whatever is in flight, and refuses a capacity that is not positive', async () => {
    const gate = new WeightedGate(1);
    await gate.acquire(1);
    await gate.acquire(0);
    expect(gate.waited).toBe(0);
    expect(() => new WeightedGate(0)).toThrow(RangeError);
  });
});
