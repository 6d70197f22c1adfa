/**
 * Decoded images kept in memory up to a byte budget. Images are admitted first come, first kept, and never
 * evicted: with shuffled access an eviction policy only churns, while a fixed subset gives a steady hit
 * rate. When the whole dataset fits, every image is decoded once, on first use.
 */
export class ImageCache {
  private readonly entries = new Map<number, Uint8Array>();
  private used = 0;

  /** @param budgetBytes - the most bytes of pixel data to keep (0 disables the cache). */
  constructor(readonly budgetBytes: number) {}

  /** The cached image at `index`, if any. */
  get(index: number): Uint8Array | undefined {
    return this.entries.get(index);
  }

  /** Keeps `bytes` for `index` if the budget allows; returns whether it was kept. */
  offer(index: number, bytes: Uint8Array): boolean {
    if (this.entries.has(index)) return true;
    if (this.used + bytes.byteLength > this.budgetBytes) return false;
    this.entries.set(index, bytes);
    this.used += bytes.byteLength;
    return true;
  }

  /** Number of images held. */
  get size(): number {
    return this.entries.size;
  }

  /** Bytes of pixel data held (never more than the budget). */
  get bytes(): number {
    return this.used;
  }

  /** Drops everything. */
  clear(): void {
    this.entries.clear();
    this.used = 0;
  }
}
