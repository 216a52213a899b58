/**
 * Derives an independent seed for one named random stream from a scenario's seed, so that adding
 * a draw to one stream (say, the method mix) never shifts another (say, chaos jitter).
 */
export function deriveSeed(seed: number, label: string): number {
  // FNV-1a over the label, mixed with the seed, then one round of a murmur3 finaliser.
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < label.length; i++) {
    h ^= label.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
