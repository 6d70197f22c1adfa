import * as tf from "@tensorflow/tfjs-core";

/** A state dict: PyTorch-style dotted names (`layer1.0.weight`) to tensors, in registration order. */
export type StateDict = Record<string, tf.Tensor>;

/** Options for {@link Module.loadStateDict}. */
export interface LoadStateDictOptions {
  /** When true (default), missing and unexpected keys are errors. Shape and dtype mismatches always are. */
  strict?: boolean;
  /**
   * When true (default), a float tensor holding NaN or ±Inf is an error. Pass false only to put back a state this
   * program saved itself (e.g. swapping a model's own weights back in), never for weights read from a file.
   */
  finite?: boolean;
}

/**
 * The base of every layer and model, in the spirit of `torch.nn.Module`.
 *
 * A module owns named parameters (trainable `tf.Variable`s), named buffers (non-trainable variables such as
 * BatchNorm running statistics or the spectral-norm `u` vector) and named child modules. Names compose with
 * dots exactly as in PyTorch, so a state dict maps one to one onto the reference implementation's.
 *
 * Parameters are stored in **PyTorch's layout** (e.g. a `Conv2d` weight is `[out, in, kH, kW]`) so that state
 * dicts, shapes and spectral-norm vectors are identical to PyTorch's; activations are NHWC (tfjs's native
 * layout) and layers transpose their weights when they run.
 */
export abstract class Module {
  /** Training mode (true) or evaluation mode (false); see {@link Module.train}. */
  training = true;

  private readonly params = new Map<string, tf.Variable>();
  private readonly buffers = new Map<string, tf.Variable>();
  private readonly children = new Map<string, Module>();

  /** Runs the module. Subclasses narrow the signature. */
  abstract forward(...inputs: never[]): unknown;

  /**
   * Registers `value` as a trainable parameter named `name` and returns the variable. The module takes
   * ownership of `value` (it is disposed with the module).
   */
  registerParameter(name: string, value: tf.Tensor): tf.Variable {
    this.checkFreeName(name);
    const v = value instanceof tf.Variable ? value : tf.variable(value, true);
    if (v !== value) value.dispose();
    this.params.set(name, v);
    return v;
  }

  /** Registers a non-trainable buffer (a variable excluded from {@link Module.parameters}). */
  registerBuffer(name: string, value: tf.Tensor): tf.Variable {
    this.checkFreeName(name);
    const v = tf.variable(value, false);
    value.dispose();
    this.buffers.set(name, v);
    return v;
  }

  /** Registers a child module under `name`; its parameters appear as `name.<param>`. */
  registerModule<M extends Module>(name: string, module: M): M {
    this.checkFreeName(name);
    this.children.set(name, module);
    return module;
  }

  /**
   * Removes and returns the parameter `name` without disposing it (used by weight parametrizations such as
   * `spectralNorm`, which re-register the weight under another name).
   */
  removeParameter(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`${this.constructor.name} has no parameter '${name}'`);
    this.params.delete(name);
    return v;
  }

  /** The parameter registered directly on this module under `name`. */
  getParameter(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`${this.constructor.name} has no parameter '${name}'`);
    return v;
  }

  /** The buffer registered directly on this module under `name`. */
  getBuffer(name: string): tf.Variable {
    const v = this.buffers.get(name);
    if (!v) throw new Error(`${this.constructor.name} has no buffer '${name}'`);
    return v;
  }

  /** True when this module itself has a parameter called `name`. */
  hasParameter(name: string): boolean {
    return this.params.has(name);
  }

  /** Sets training mode on this module and every descendant; returns `this`. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  /** Evaluation mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /** This module and every descendant with their dotted names (`""` for this one), depth first. */
  namedModules(prefix = ""): Array<[string, Module]> {
    const out: Array<[string, Module]> = [[prefix, this]];
    for (const [name, child] of this.children) {
      out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    }
    return out;
  }

  /** Direct children with their names. */
  namedChildren(): Array<[string, Module]> {
    return [...this.children];
  }

  /** Calls `fn` on every module (this one included), like PyTorch's `Module.apply`; returns `this`. */
  apply(fn: (module: Module) => void): this {
    for (const [, m] of this.namedModules()) fn(m);
    return this;
  }

  /** Trainable parameters with their dotted names, in PyTorch's order. */
  namedParameters(): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, v] of m.params) out.push([prefix ? `${prefix}.${name}` : name, v]);
    }
    return out;
  }

  /** Trainable parameters, in PyTorch's order. */
  parameters(): tf.Variable[] {
    return this.namedParameters().map(([, v]) => v);
  }

  /** Buffers with their dotted names. */
  namedBuffers(): Array<[string, tf.Variable]> {
    const out: Array<[string, tf.Variable]> = [];
    for (const [prefix, m] of this.namedModules()) {
      for (const [name, v] of m.buffers) out.push([prefix ? `${prefix}.${name}` : name, v]);
    }
    return out;
  }

  /** Number of trainable scalars, as `sum(p.numel() for p in model.parameters())`. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /**
   * Parameters and buffers by dotted name, in PyTorch's `state_dict()` order (each module's parameters,
   * then its buffers, then its children). The values are the live variables: copy them before mutating.
   */
  stateDict(prefix = ""): StateDict {
    const out: StateDict = {};
    for (const [name, v] of this.params) out[prefix + name] = v;
    for (const [name, v] of this.buffers) out[prefix + name] = v;
    for (const [name, child] of this.children) Object.assign(out, child.stateDict(`${prefix}${name}.`));
    return out;
  }

  /**
   * Copies tensors from `state` into this module's parameters and buffers. Throws an error naming every
   * missing, unexpected, mis-shaped or mis-typed key and every float tensor holding NaN or ±Inf (unless
   * `finite: false`); nothing is changed when it throws. Only `state`'s own keys count, so `__proto__` or
   * `constructor` is an unexpected key. A float32 tensor of whole numbers fills an int32 buffer.
   */
  loadStateDict(state: StateDict, options: LoadStateDictOptions = {}): void {
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const problems: string[] = [];
    for (const [key, target] of Object.entries(own)) {
      const given = Object.hasOwn(state, key) ? state[key] : undefined;
      if (given === undefined) {
        if (strict) problems.push(`missing key '${key}' (expected shape [${target.shape}])`);
      } else if (!sameShape(given.shape, target.shape)) {
        problems.push(`'${key}' has shape [${given.shape}], expected [${target.shape}]`);
      } else {
        const problem = valueProblem(key, given, target.dtype, options.finite ?? true);
        if (problem) problems.push(problem);
      }
    }
    if (strict) {
      for (const key of Object.keys(state)) {
        if (!Object.hasOwn(own, key)) problems.push(`unexpected key '${key}'`);
      }
    }
    if (problems.length > 0) {
      throw new Error(`Error loading state dict into ${this.constructor.name}:\n  ${problems.join("\n  ")}`);
    }
    for (const [key, target] of Object.entries(own)) {
      const given = Object.hasOwn(state, key) ? state[key] : undefined;
      // Assigning a variable its own data would free that data (tfjs drops the old reference first).
      if (given === undefined || given.dataId === target.dataId) continue;
      tf.tidy(() => (target as tf.Variable).assign(given.dtype === target.dtype ? given : tf.cast(given, target.dtype)));
    }
  }

  /** Disposes every parameter and buffer of this module and its descendants. */
  dispose(): void {
    for (const [, m] of this.namedModules()) {
      for (const v of m.params.values()) v.dispose();
      for (const v of m.buffers.values()) v.dispose();
    }
  }

  private checkFreeName(name: string): void {
    if (!name || name.includes(".")) throw new Error(`Invalid name '${name}': names are non-empty and have no dots`);
    if (this.params.has(name) || this.buffers.has(name) || this.children.has(name)) {
      throw new Error(`${this.constructor.name} already has a member named '${name}'`);
    }
  }
}

/**
 * Why `given` cannot be loaded into a `dtype` variable, or undefined when it can. Float tensors must be finite; an
 * int32 buffer (BatchNorm's `num_batches_tracked`) also takes float32 values that are exact int32 integers, as
 * PyTorch's `copy_` does, but nothing it would round.
 */
function valueProblem(key: string, given: tf.Tensor, dtype: tf.DataType, finite: boolean): string | undefined {
  if (dtype === "int32" && given.dtype === "float32") {
    const bad = (given.dataSync() as Float32Array).find((v) => !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31);
    return bad === undefined ? undefined : `'${key}' has dtype float32 with a value that is no int32 integer (${bad}), expected int32`;
  }
  if (given.dtype !== dtype) return `'${key}' has dtype ${given.dtype}, expected ${dtype}`;
  if (dtype !== "float32" || !finite) return undefined;
  let bad = 0;
  for (const v of given.dataSync() as Float32Array) if (!Number.isFinite(v)) bad++;
  return bad === 0 ? undefined : `'${key}' has ${bad} non-finite value${bad === 1 ? "" : "s"} (NaN or ±Inf)`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
