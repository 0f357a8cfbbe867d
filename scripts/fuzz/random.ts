/**
 * A small seeded generator (sfc32) so a fuzz run is reproducible from its `--seed`: every call
 * draws from its own stream derived from (seed, call index), so the calls do not depend on the
 * order in which concurrent answers arrive.
 */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  int(min: number, max: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  /** Picks by weight: `[[weight, value], ...]`. */
  weighted<T>(items: readonly (readonly [number, T])[]): T;
  hex(length: number): string;
  bytes(length: number): Buffer;
}

function sfc32(a: number, b: number, c: number, d: number): () => number {
  return () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
}

/** Mixes a 32-bit value (murmur3 finaliser): nearby seeds give unrelated streams. */
function mix(x: number): number {
  let h = x >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/**
 * @example
 *   const rng = createRng(42, 7); // the stream of call #7 of a run seeded 42
 *   rng.pick(['v1', 'v2']);
 */
export function createRng(seed: number, stream = 0): Rng {
  const next = sfc32(mix(seed), mix(seed ^ 0x9e3779b9), mix(stream), mix(stream ^ 0x7f4a7c15));
  for (let i = 0; i < 12; i++) next();
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    chance: (p) => next() < p,
    pick: (items) => items[Math.floor(next() * items.length)]!,
    weighted(items) {
      const total = items.reduce((s, [w]) => s + w, 0);
      let r = next() * total;
      for (const [w, v] of items) {
        r -= w;
        if (r < 0) return v;
      }
      return items[items.length - 1]![1];
    },
    hex: (length) =>
      Array.from({ length }, () => '0123456789abcdef'[Math.floor(next() * 16)]).join(''),
    bytes: (length) => Buffer.from(Array.from({ length }, () => Math.floor(next() * 256))),
  };
}
