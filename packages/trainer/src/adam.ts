import { ADAM_UPDATE_KERNEL } from "@gan/spec";
import * as tf from "@tensorflow/tfjs-core";

/** Adam's hyper-parameters. */
export interface AdamSettings {
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
}

/** A tensor with a name, as tfjs optimizers' `getWeights`/`setWeights` use. */
type NamedTensor = { name: string; tensor: tf.Tensor };

/** tfjs's `AdamOptimizer` keeps β1ᵗ and β2ᵗ in these private variables. */
interface AdamInternals {
  accBeta1?: unknown;
  accBeta2?: unknown;
}

/** The moment slots tfjs's `AdamOptimizer` keeps per parameter, by position (private fields). */
interface AdamSlots {
  accumulatedFirstMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
  accumulatedSecondMoment: Array<{ originalName: string; variable: tf.Variable } | undefined>;
}

/**
 * tfjs's `AdamOptimizer`, whose update runs as one kernel per parameter ({@link ADAM_UPDATE_KERNEL}) where the
 * active backend has it (`@gan/backend` registers it for wasm): the same float32 operations as tfjs's 13 ops,
 * so the same bits, in one pass over memory. Elsewhere it is tfjs's optimizer unchanged. Its state (moments,
 * β1ᵗ, β2ᵗ, iterations) is tfjs's, so checkpoints are the same either way.
 */
export class FusedAdamOptimizer extends tf.AdamOptimizer {
  override applyGradients(variableGradients: Parameters<tf.AdamOptimizer["applyGradients"]>[0]): void {
    if (tf.getKernel(ADAM_UPDATE_KERNEL, tf.getBackend()) == null) {
      super.applyGradients(variableGradients);
      return;
    }
    const list: NamedTensor[] = Array.isArray(variableGradients)
      ? variableGradients
      : Object.keys(variableGradients).map((name) => ({ name, tensor: variableGradients[name] }));
    const slots = this as unknown as AdamSlots;
    const { accBeta1, accBeta2 } = accBetas(this);
    tf.tidy(() => {
      // tfjs computes 1 − βᵗ as float32 tensors; rounding the double difference to float32 gives the same value.
      const oneMinusAccBeta1 = Math.fround(1 - accBeta1.dataSync()[0]);
      const oneMinusAccBeta2 = Math.fround(1 - accBeta2.dataSync()[0]);
      list.forEach(({ name, tensor: gradient }, i) => {
        const value = tf.engine().registeredVariables[name];
        slots.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        slots.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        if (gradient == null) return;
        const m = slots.accumulatedFirstMoment[i].variable;
        const v = slots.accumulatedSecondMoment[i].variable;
        const attrs = { beta1: this.beta1, beta2: this.beta2, epsilon: this.epsilon, learningRate: this.learningRate, oneMinusAccBeta1, oneMinusAccBeta2 };
        const [x1, m1, v1] = tf.engine().runKernel(ADAM_UPDATE_KERNEL, { x: value, m, v, g: gradient }, attrs) as tf.Tensor[];
        m.assign(m1);
        v.assign(v1);
        value.assign(x1);
      });
      accBeta1.assign(tf.mul(accBeta1, this.beta1));
      accBeta2.assign(tf.mul(accBeta2, this.beta2));
    });
    this.incrementIterations();
  }
}

/**
 * Adam with every setting explicit (tfjs's default ε is not PyTorch's 1e-8): a {@link FusedAdamOptimizer},
 * which updates as `tf.train.adam` does, bit for bit.
 */
export function createAdam(settings: AdamSettings): tf.AdamOptimizer {
  return new FusedAdamOptimizer(settings.lr, settings.beta1, settings.beta2, settings.epsilon);
}

/**
 * Applies `grads` (from `tf.variableGrads`) to `vars` in the fixed order of `vars`. tfjs's Adam pairs its
 * moment slots with gradients by position, so the order must never change; a variable without a gradient is
 * skipped, as PyTorch skips parameters whose `.grad` is `None`.
 */
export function applyOrderedGradients(optimizer: tf.Optimizer, vars: readonly tf.Variable[], grads: tf.NamedTensorMap): void {
  optimizer.applyGradients(vars.map((v) => ({ name: v.name, tensor: grads[v.name] as tf.Tensor })));
}

/**
 * The optimizer's whole state as named tensors: `iter` (int32), `accBeta1`, `accBeta2` (β1ᵗ, β2ᵗ as the
 * optimizer accumulated them) and `<param>/m`, `<param>/v` for each parameter, named by `paramNames` (the
 * modules' dotted names) rather than tfjs's process-specific variable names. Returns the tensors and a
 * function that frees the ones created for the occasion.
 */
export async function exportAdamState(
  optimizer: tf.AdamOptimizer,
  paramNames: readonly string[],
): Promise<{ tensors: Record<string, tf.Tensor>; dispose: () => void }> {
  const weights = await optimizer.getWeights();
  const [iter, ...moments] = weights;
  const slots = moments.length / 2;
  if (slots !== 0 && slots !== paramNames.length) {
    iter.tensor.dispose();
    throw new Error(`Adam state holds ${slots} moment slots but the module has ${paramNames.length} parameters`);
  }
  const { accBeta1, accBeta2 } = accBetas(optimizer);
  const tensors: Record<string, tf.Tensor> = { iter: iter.tensor, accBeta1, accBeta2 };
  for (let i = 0; i < slots; i++) {
    tensors[`${paramNames[i]}/m`] = moments[i].tensor;
    tensors[`${paramNames[i]}/v`] = moments[slots + i].tensor;
  }
  return { tensors, dispose: () => iter.tensor.dispose() };
}

/**
 * Restores a state from {@link exportAdamState} into a **fresh** optimizer (one that has not stepped), so the
 * next update is bit-identical to the one an uninterrupted run would make. `source` names the file in errors.
 * The caller keeps ownership of `tensors`.
 */
export async function importAdamState(
  optimizer: tf.AdamOptimizer,
  tensors: Record<string, tf.Tensor>,
  params: ReadonlyArray<readonly [string, tf.Variable]>,
  source: string,
): Promise<void> {
  for (const key of ["iter", "accBeta1", "accBeta2"]) {
    if (!tensors[key]) throw new Error(`${source}: missing optimizer tensor '${key}'`);
  }
  const hasMoments = Object.keys(tensors).some((k) => k.endsWith("/m"));
  const first: NamedTensor[] = [];
  const second: NamedTensor[] = [];
  if (hasMoments) {
    const problems: string[] = [];
    for (const [name, v] of params) {
      for (const [slot, list] of [["m", first], ["v", second]] as const) {
        const t = tensors[`${name}/${slot}`];
        if (!t) problems.push(`missing '${name}/${slot}'`);
        else if (t.shape.join() !== v.shape.join()) problems.push(`'${name}/${slot}' has shape [${t.shape}], expected [${v.shape}]`);
        else list.push({ name: `${name}/${slot}`, tensor: t });
      }
    }
    const expected = 3 + 2 * params.length;
    if (problems.length === 0 && Object.keys(tensors).length !== expected) {
      problems.push(`holds ${Object.keys(tensors).length} tensors, expected ${expected} (are these the same models?)`);
    }
    if (problems.length > 0) throw new Error(`${source}: optimizer state does not match the model:\n  ${problems.join("\n  ")}`);
  }
  await optimizer.setWeights([{ name: "iter", tensor: tensors.iter }, ...first, ...second]);
  // setWeights recomputes βᵗ with pow(); the running product the optimizer keeps can differ in the last bit.
  const { accBeta1, accBeta2 } = accBetas(optimizer);
  accBeta1.assign(tensors.accBeta1);
  accBeta2.assign(tensors.accBeta2);
}

function accBetas(optimizer: tf.AdamOptimizer): { accBeta1: tf.Variable; accBeta2: tf.Variable } {
  const internals = optimizer as unknown as AdamInternals;
  if (!(internals.accBeta1 instanceof tf.Variable) || !(internals.accBeta2 instanceof tf.Variable)) {
    throw new Error("tfjs-core's AdamOptimizer no longer keeps accBeta1/accBeta2 variables; @gan/trainer needs updating");
  }
  return { accBeta1: internals.accBeta1, accBeta2: internals.accBeta2 };
}
