/** murmur3's 32-bit finaliser: a bijective avalanche mix. */
function fmix32(h: number): number {
  let z = h >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * A counter-based hash of two 32-bit integers (splitmix32 of `key` and `counter`): the `counter`-th
 * 32-bit draw of the stream named `key`. Pure, so any draw can be recomputed without replaying the ones
 * before it.
 */
export function hash32(key: number, counter: number): number {
  return fmix32((key >>> 0) + Math.imul(0x9e3779b9, (counter + 1) >>> 0));
}

/**
 * The order of epoch `epoch` for a dataset of `n` items under `seed`: a permutation of `0 … n-1` drawn by
 * Fisher–Yates from the stream `hash32(key(seed, epoch), i)`. A pure function of `(n, seed, epoch)`, so a
 * run resumed at any epoch sees exactly the order an unbroken run would. Seeds are taken modulo 2³².
 */
export function epochPermutation(n: number, seed: number, epoch: number): Int32Array {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`epochPermutation: n must be a non-negative integer, got ${n}`);
  if (!Number.isInteger(epoch) || epoch < 0) {
    throw new RangeError(`epochPermutation: epoch must be a non-negative integer, got ${epoch}`);
  }
  const key = fmix32(hash32(seed >>> 0, epoch) ^ 0x5bd1e995);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  for (let i = n - 1; i > 0; i--) {
    // 53 bits from two draws: unbiased to well below anything measurable for any realistic n.
    const u = (hash32(key, 2 * i) * 2 ** 21 + (hash32(key, 2 * i + 1) >>> 11)) / 2 ** 53;
    const j = Math.floor(u * (i + 1));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order;
}
