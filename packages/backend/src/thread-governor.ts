/** Options of {@link ThreadGovernor}. */
export interface ThreadGovernorOptions {
  /** The larger thread count (the pool the backend started with); the governor chooses between it and 1. */
  max: number;
  /** Makes the backend use this many threads from the next step on (1 or `max`). */
  setThreads(count: number): void;
  /** The count in use at the start (default `max`). */
  initial?: number;
  /** Where a switch is told, in one line (default: not told). */
  log?: (line: string) => void;
  /** The clock, in milliseconds (default `performance.now`); tests pass a fake one. */
  now?: () => number;
  /** Steps left out at the start: the first ones compile kernels and grow the heap (default 3). */
  warmupSteps?: number;
  /** The first probe comes after this many steps (default 8), to leave a bad start early (about 2–3 s of the fast recipe). */
  firstProbeAfterSteps?: number;
  /**
   * Later probes come every this many seconds of training (default 60); each later probe that keeps the count doubles
   * the wait, up to 4× (or 10 minutes, if that is longer than the base wait), and a switch resets it...
   */
  probeEverySeconds?: number;
  /**
   * ...or less often, so that the probes' steps at the other count take at most this share of the training time
   * (default 0.05: with steps of 6 s, a probe comes every 8–10 minutes, not every minute).
   */
  maxProbeShare?: number;
  /**
   * Steps run at each count per probe (default 4): a probe alternates the other count and the current one, step by
   * step, so that both see the same load, and compares the medians. It ends after 2 pairs when both steps at the
   * other count were slower than both at the current one by more than a quarter: plainly worse, no need for more.
   */
  probeSteps?: number;
  /** Recent steps whose median sizes a probe, to space the probes (default 8). */
  windowSteps?: number;
  /** The other count must be faster by this share to be kept (default 0.05). */
  margin?: number;
}

/** One probe: what ran, how fast, and whether the governor switched. */
export interface ThreadProbe {
  /** The steps fed when the probe ended. */
  step: number;
  /** The clock (`now()`, ms) when the probe ended. */
  at: number;
  /** The count before the probe. */
  from: number;
  /** The count probed. */
  to: number;
  /** Median step time (ms) at `from` during the probe. */
  fromMs: number;
  /** Median step time (ms) at `to` over the probe. */
  toMs: number;
  /** Whether `to` was kept. */
  switched: boolean;
}

/** The median of a non-empty list (the mean of the middle two for an even length). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/**
 * Chooses between 1 and `max` threads from measured step times, for a training that runs for minutes or hours on a
 * machine whose load changes. Fed every step's duration ({@link ThreadGovernor.step}), it now and then runs a
 * *probe*: 4 steps at the other count alternating with 4 at the current one, so that both see the same load (once
 * after `firstProbeAfterSteps`, then every `probeEverySeconds`, doubling up to 4× while probes keep the count, and
 * less often when steps are long). It keeps the count whose median step is faster (the other one only when it is
 * faster by `margin`). On a quiet machine `max` threads win and the probes cost a few steps at 1 thread; when other
 * processes keep the CPUs busy, 1 thread wins (XNNPACK's main thread waits for workers that the other processes
 * keep off the CPUs) and the governor stays there until a probe finds the CPUs free again.
 *
 * No timing happens here: durations come in through `step()` and time through `now`, so the decisions are unit
 * tested with fake values. {@link wasmThreadGovernor} drives one for the wasm backend.
 */
export class ThreadGovernor {
  /** The larger count. */
  readonly max: number;
  /** Every probe so far, oldest first. */
  readonly probes: ThreadProbe[] = [];
  private current: number;
  private readonly options: Required<Omit<ThreadGovernorOptions, "log" | "initial" | "setThreads" | "max">>;
  private readonly setThreads: (count: number) => void;
  private readonly log: ((line: string) => void) | undefined;
  private steps = 0;
  private recent: number[] = [];
  private probing: { next: "other" | "current"; other: number[]; current: number[] } | null = null;
  private applied: number;
  private lastProbeEnd: number | null = null;
  private keptInARow = 0;

  constructor(options: ThreadGovernorOptions) {
    if (!(options.max >= 2)) throw new Error(`ThreadGovernor: max must be at least 2, got ${options.max}`);
    this.max = options.max;
    this.current = options.initial ?? options.max;
    this.applied = this.current;
    this.setThreads = options.setThreads;
    this.log = options.log;
    this.options = {
      now: options.now ?? (() => performance.now()),
      warmupSteps: options.warmupSteps ?? 3,
      firstProbeAfterSteps: options.firstProbeAfterSteps ?? 8,
      probeEverySeconds: options.probeEverySeconds ?? 60,
      maxProbeShare: options.maxProbeShare ?? 0.05,
      probeSteps: Math.max(1, options.probeSteps ?? 4),
      windowSteps: Math.max(1, options.windowSteps ?? 8),
      margin: options.margin ?? 0.05,
    };
  }

  /** The count the governor has chosen (during a probe the backend alternates it with the other one). */
  get threads(): number {
    return this.current;
  }

  /** True while a probe alternates the counts. */
  get isProbing(): boolean {
    return this.probing != null;
  }

  /**
   * A trainer callback (`TrainerCallback` of `@gan/trainer`) that feeds the governor each step's `stepMs`: add it to
   * `train()`'s, `trainRecipe()`'s or `GanTrainer`'s callbacks. `gan train` does.
   */
  get callback(): { readonly name: "wasm-threads"; onBatchEnd(ctx: unknown, metrics: { readonly stepMs: number }): void } {
    return { name: "wasm-threads", onBatchEnd: (_ctx, metrics) => this.step(metrics.stepMs) };
  }

  /** Feeds the duration (ms) of the step that just ended; may switch the count for the next step. */
  step(ms: number): void {
    this.steps++;
    if (!(ms >= 0) || !Number.isFinite(ms)) return;
    const probe = this.probing;
    if (probe) {
      // The probe alternates: other, current, other, current... so both counts see the same load.
      (probe.next === "other" ? probe.other : probe.current).push(ms);
      probe.next = probe.next === "other" ? "current" : "other";
      const pairs = probe.current.length;
      const plainlyWorse = pairs === 2 && probe.next === "other" && Math.min(...probe.other) > 1.25 * Math.max(...probe.current);
      if (pairs >= this.options.probeSteps || plainlyWorse) this.endProbe();
      else this.use(probe.next === "other" ? this.other() : this.current);
      return;
    }
    if (this.steps <= this.options.warmupSteps) return;
    this.recent.push(ms);
    if (this.recent.length > this.options.windowSteps) this.recent.shift();
    if (this.probeDue()) this.startProbe();
  }

  private other(): number {
    return this.current === 1 ? this.max : 1;
  }

  /** Sets the backend's count when it differs from the one it runs. */
  private use(count: number): void {
    if (count === this.applied) return;
    this.applied = count;
    this.setThreads(count);
  }

  private probeDue(): boolean {
    const { firstProbeAfterSteps, probeEverySeconds, maxProbeShare, probeSteps, windowSteps, now } = this.options;
    if (this.recent.length < Math.min(4, windowSteps)) return false;
    if (this.lastProbeEnd == null) return this.steps >= firstProbeAfterSteps;
    const probeMs = probeSteps * median(this.recent); // the probe's steps at the other count
    const baseMs = Math.max(probeEverySeconds * 1000, probeMs / maxProbeShare);
    const everyMs = Math.min(baseMs * 2 ** Math.min(this.keptInARow, 2), Math.max(baseMs, 600_000));
    return now() - this.lastProbeEnd >= everyMs;
  }

  private startProbe(): void {
    this.probing = { next: "other", other: [], current: [] };
    this.use(this.other());
  }

  private endProbe(): void {
    const probe = this.probing as NonNullable<ThreadGovernor["probing"]>;
    this.probing = null;
    this.lastProbeEnd = this.options.now();
    const from = this.current;
    const to = this.other();
    const fromMs = median(probe.current);
    const toMs = median(probe.other);
    const switched = toMs < fromMs * (1 - this.options.margin);
    this.probes.push({ step: this.steps, at: this.lastProbeEnd, from, to, fromMs, toMs, switched });
    if (!switched) {
      if (this.probes.length > 1) this.keptInARow++; // the early first probe does not count
      this.use(from);
      return;
    }
    this.keptInARow = 0;
    this.current = to;
    this.use(to);
    this.recent = probe.other.slice(-this.options.windowSteps);
    const why = to === 1 ? "other processes are using the CPUs" : "the CPUs are free again";
    this.log?.(`[@gan/backend] threads: ${from} → ${to} (step ${seconds(fromMs)} → ${seconds(toMs)}; ${why})`);
  }
}

function seconds(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${Math.round(ms)} ms`;
}
