import type { TrainableModule } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";

/** Options of {@link ModelEma}. */
export interface ModelEmaOptions {
  /** Weight of the running average per update (default 0.999): `ema ← decay·ema + (1 − decay)·w`. */
  decay?: number;
  /** Before this step the average just copies the weights (StudioGAN's `ema_start`; default 0). */
  startStep?: number;
  /**
   * Warm the decay up (default true): the `n`-th averaging update (n = 0, 1, … from `startStep` on) uses
   * `min(decay, (1 + n) / (10 + n))`, as TensorFlow's `ExponentialMovingAverage(decay, num_updates)`, so the
   * average follows the weights closely early on (0.1 at first, 0.95 after 170 updates, 0.99 after 890) and a
   * short run's average is not stuck near the initial weights (with 0.999 and no warm-up, 82% of a 200-step run's
   * average is still the initialisation: grey grids). `false`: `decay` from the first update.
   */
  warmup?: boolean;
  /**
   * Recomputes the buffers that depend on the weights (BatchNorm statistics) for the averaged weights, which
   * are loaded in `model` when it runs (e.g. `standingStatistics` of `@gan/layers`). Without it the buffers are
   * the trained model's. It runs lazily: when the average is read after updates came in.
   */
  recomputeBuffers?: (model: TrainableModule) => void;
}

/**
 * An exponential moving average of a model's weights, as StudioGAN keeps for its generator: floating-point
 * parameters are averaged, `ema ← d·ema + (1 − d)·w` from `startStep` on (copied before it), with the decay `d`
 * warmed up to `decay` ({@link ModelEmaOptions.warmup}, {@link ModelEma.effectiveDecay}); buffers
 * (BatchNorm running statistics, spectral-norm vectors, counters) are copied, so the averaged model runs like
 * the trained one, unless `recomputeBuffers` measures them for the averaged weights. Names are the model's
 * state-dict names, so {@link ModelEma.stateDict} loads into a model of the same architecture.
 */
export class ModelEma {
  readonly decay: number;
  readonly startStep: number;
  /** Whether the decay is warmed up ({@link ModelEmaOptions.warmup}). */
  readonly warmup: boolean;
  private readonly shadow = new Map<string, tf.Variable>();
  private readonly averaged = new Set<string>();
  private updates = 0;
  private averagingUpdates = 0;
  private readonly recomputeBuffers?: (model: TrainableModule) => void;
  /** Updates came in since the buffers were last recomputed. */
  private stale = false;

  constructor(
    readonly model: TrainableModule,
    options: ModelEmaOptions = {},
  ) {
    this.decay = options.decay ?? 0.999;
    this.startStep = options.startStep ?? 0;
    this.warmup = options.warmup ?? true;
    this.recomputeBuffers = options.recomputeBuffers;
    if (!(this.decay >= 0 && this.decay <= 1)) throw new Error(`ModelEma: decay must be in [0, 1], got ${options.decay}`);
    if (!Number.isInteger(this.startStep) || this.startStep < 0) throw new Error(`ModelEma: startStep must be an integer ≥ 0, got ${options.startStep}`);
    const params = new Set<tf.Tensor>(model.parameters());
    for (const [name, value] of Object.entries(model.stateDict())) {
      // The variable holds its own reference to the copy's data, so the copy itself can go.
      const copy = value.clone();
      this.shadow.set(name, tf.variable(copy, false, undefined, value.dtype));
      copy.dispose();
      if (params.has(value) && value.dtype === "float32") this.averaged.add(name);
    }
  }

  /** Number of {@link ModelEma.update} calls so far (averaging ones and copying ones). */
  get updateCount(): number {
    return this.updates;
  }

  /**
   * Averaging updates so far (those from `startStep` on): the `n` of the warm-up. Part of the average's state: a
   * checkpoint records it (`generatorEma()` does), and {@link ModelEma.setAveragingUpdates} restores it.
   */
  get averagingUpdateCount(): number {
    return this.averagingUpdates;
  }

  /** Restores {@link ModelEma.averagingUpdateCount} (e.g. from a checkpoint), so a resumed warm-up continues exactly. */
  setAveragingUpdates(count: number): void {
    if (!Number.isSafeInteger(count) || count < 0) throw new Error(`ModelEma: the averaging update count must be an integer >= 0, got ${count}`);
    this.averagingUpdates = count;
  }

  /** The decay the next averaging update uses: `min(decay, (1 + n) / (10 + n))` with warm-up, else `decay`. */
  get effectiveDecay(): number {
    const n = this.averagingUpdates;
    return this.warmup ? Math.min(this.decay, (1 + n) / (10 + n)) : this.decay;
  }

  /** Folds the model's current weights in; `step` is the iteration just completed (averaging starts at `startStep`). */
  update(step: number): void {
    const copy = step < this.startStep;
    const decay = this.effectiveDecay;
    const state = this.model.stateDict();
    tf.tidy(() => {
      for (const [name, v] of this.shadow) {
        const w = state[name];
        if (!w) throw new Error(`ModelEma: the model no longer has '${name}'`);
        if (copy || !this.averaged.has(name)) v.assign(w);
        else v.assign(tf.add(tf.mul(v, decay), tf.mul(w, 1 - decay)));
      }
    });
    this.updates++;
    if (!copy) this.averagingUpdates++;
    this.stale = this.recomputeBuffers !== undefined;
  }

  /** The averaged weights by state-dict name (live variables: copy before mutating). */
  stateDict(): Record<string, tf.Tensor> {
    this.refreshBuffers();
    return Object.fromEntries(this.shadow);
  }

  /** Runs `recomputeBuffers` with the averaged weights in the model and keeps the buffers it produced. */
  private refreshBuffers(): void {
    if (!this.stale || !this.recomputeBuffers) return;
    this.stale = false;
    const recompute = this.recomputeBuffers;
    const restore = this.loadAverageIntoModel();
    try {
      recompute(this.model);
      const state = this.model.stateDict();
      tf.tidy(() => {
        for (const [name, v] of this.shadow) if (!this.averaged.has(name)) v.assign(state[name]);
      });
    } finally {
      restore();
    }
  }

  /** Loads the averaged weights into the model; returns what puts the model's own state back. */
  private loadAverageIntoModel(): () => void {
    const saved = Object.fromEntries(Object.entries(this.model.stateDict()).map(([k, v]) => [k, v.clone()]));
    const restore = () => {
      // The model's own state goes back as it was, even if it is not finite: that is for the trainer to catch.
      this.model.loadStateDict(saved, { strict: true, finite: false });
      tf.dispose(Object.values(saved));
    };
    try {
      // Not checked for NaN/Inf: that would download every weight synchronously each time (a stall on GPU backends,
      // and an error on WebGPU in software); averages of finite weights are finite, and the trainer checks the losses.
      this.model.loadStateDict(Object.fromEntries(this.shadow), { strict: true, finite: false });
    } catch (e) {
      restore();
      throw e;
    }
    return restore;
  }

  /** Replaces the averaged weights (e.g. from a checkpoint); names and shapes must match. */
  loadStateDict(state: Record<string, tf.Tensor>): void {
    const problems: string[] = [];
    for (const [name, v] of this.shadow) {
      const given = state[name];
      if (!given) problems.push(`missing '${name}'`);
      else if (given.shape.join(",") !== v.shape.join(",")) problems.push(`'${name}' has shape [${given.shape}], expected [${v.shape}]`);
    }
    if (problems.length > 0) throw new Error(`ModelEma.loadStateDict: ${problems.join("; ")}`);
    tf.tidy(() => {
      for (const [name, v] of this.shadow) v.assign(state[name].dtype === v.dtype ? state[name] : tf.cast(state[name], v.dtype));
    });
    this.stale = false; // the loaded buffers were measured for the loaded weights
  }

  /** Copies the averaged weights into `target` (a model of the same architecture, e.g. a sampling copy). */
  copyTo(target: TrainableModule): void {
    target.loadStateDict(this.stateDict(), { strict: true });
  }

  /**
   * Runs `fn` with the averaged weights swapped into the model, then puts the trained weights back (also when
   * `fn` throws). Use it to sample or evaluate with the EMA generator.
   */
  async apply<T>(fn: () => T | Promise<T>): Promise<T> {
    this.refreshBuffers();
    const restore = this.loadAverageIntoModel();
    try {
      return await fn();
    } finally {
      restore();
    }
  }

  dispose(): void {
    for (const v of this.shadow.values()) v.dispose();
    this.shadow.clear();
  }
}
