/** `epoch-0007.png`: the file name of a per-epoch figure (epochs are 0-based, as in `metrics.jsonl`). */
export function epochFileName(epoch: number, ext = "png"): string {
  return `epoch-${String(epoch).padStart(4, "0")}.${ext}`;
}

/**
 * `step-0000042.png`: the file name of a figure drawn after a step rather than at an epoch's end (the early grid of
 * `sampleImages`), 7 digits as the checkpoint folders; never the name of an epoch figure.
 */
export function stepFileName(step: number, ext = "png"): string {
  return `step-${String(step).padStart(7, "0")}.${ext}`;
}

/** True when epoch `epoch` (0-based) is one to draw: every `every`-th, and always the last. */
export function isDueEpoch(epoch: number, every: number, epochs: number): boolean {
  return (epoch + 1) % every === 0 || epoch === epochs - 1;
}

/** Checks an `every...` option: a positive integer. */
export function checkEvery(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return value;
}
