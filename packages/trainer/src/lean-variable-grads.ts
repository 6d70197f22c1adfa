import * as tf from "@tensorflow/tfjs-core";

/** A node of tfjs's gradient tape (tfjs-core 4.x `TapeNode`). */
interface TapeNode {
  id: number;
  kernelName: string;
  inputs: Record<string, tf.Tensor>;
  outputs: tf.Tensor[];
  saved?: tf.Tensor[];
  gradient?: (dys: tf.Tensor[]) => Record<string, () => tf.Tensor>;
}

/** The parts of tfjs-core's `Engine` that running a tape needs (public methods of the engine object). */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number };
  startTape(): void;
  endTape(): void;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  tidy<T extends tf.TensorContainer>(name: string, f: () => T): T;
  tidy<T extends tf.TensorContainer>(f: () => T): T;
}

/** Whether this engine has what {@link leanVariableGrads} uses; else it runs `tf.variableGrads`. */
function engineInternals(): EngineInternals | null {
  const engine = tf.engine() as unknown as Partial<EngineInternals>;
  const ok =
    engine.state != null &&
    typeof engine.state.gradientDepth === "number" &&
    typeof engine.startTape === "function" &&
    typeof engine.endTape === "function" &&
    typeof engine.scopedRun === "function";
  return ok ? (engine as EngineInternals) : null;
}

/**
 * The nodes of `tape` on a path from `xs` to `y`, each with only the inputs that depend on `xs` (so no gradient
 * is computed for the rest: D's weights in the G step), in tape order: what tfjs's `getFilteredNodesXToY` returns.
 */
function nodesFromXsToY(tape: TapeNode[], xs: readonly tf.Tensor[], y: tf.Tensor): TapeNode[] {
  const fromXs = new Set(xs.map((x) => x.id));
  const nodesFromXs = new Set<number>();
  for (const node of tape) {
    if (Object.values(node.inputs).some((input) => fromXs.has(input.id))) {
      nodesFromXs.add(node.id);
      for (const output of node.outputs) fromXs.add(output.id);
    }
  }
  const leadToY = new Set([y.id]);
  const nodesToY = new Set<number>();
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    if (node.outputs.some((output) => leadToY.has(output.id))) {
      nodesToY.add(node.id);
      for (const input of Object.values(node.inputs)) leadToY.add(input.id);
    }
  }
  const filtered: TapeNode[] = [];
  for (const node of tape) {
    if (!nodesFromXs.has(node.id) || !nodesToY.has(node.id)) continue;
    const inputs: Record<string, tf.Tensor> = {};
    for (const [name, input] of Object.entries(node.inputs)) if (fromXs.has(input.id)) inputs[name] = input;
    filtered.push({ ...node, inputs });
  }
  return filtered;
}

/**
 * `tf.variableGrads(f, varList)` that frees memory as the backward pass goes, as PyTorch's autograd does: once a
 * node's input gradients are computed, its output gradients and the tensors it saved for the backward pass are
 * disposed. tfjs keeps all of them until the whole backward pass ends, so its peak holds every activation *and*
 * every intermediate gradient at once (DCGAN at batch 64: 860 MB of live tensors, against ~400 MB here).
 *
 * The same gradients bit for bit: the same tape, the same gradient functions, called in the same order, and
 * gradients that meet added in the same order. Inside another gradient computation (higher-order gradients),
 * or on an engine without these internals, it is `tf.variableGrads` itself.
 */
export function leanVariableGrads(
  f: () => tf.Scalar,
  varList: tf.Variable[],
): { value: tf.Scalar; grads: tf.NamedTensorMap } {
  const engine = engineInternals();
  if (engine == null || engine.state.gradientDepth > 0 || varList.length === 0) return tf.variableGrads(f, varList);
  const y = engine.scopedRun(
    () => engine.startTape(),
    () => engine.endTape(),
    () => engine.tidy("forward", f),
  );
  if (!(y instanceof tf.Tensor) || y.rank !== 0) throw new Error(`leanVariableGrads: f must return a scalar tensor, got ${y instanceof tf.Tensor ? `rank ${y.rank}` : typeof y}`);
  const tape = engine.state.activeTape ?? [];
  const nodes = nodesFromXsToY(tape, varList, y);
  const grads = engine.tidy("backward", (): tf.NamedTensorMap => {
    // Gradient of each tensor seen so far, and how many entries point at each gradient tensor (a gradient
    // function may hand its dy on unchanged, so one tensor can be the gradient of several).
    const gradientOf = new Map<number, tf.Tensor>();
    const entries = new Map<tf.Tensor, number>();
    const setGradient = (id: number, g: tf.Tensor) => {
      gradientOf.set(id, g);
      entries.set(g, (entries.get(g) ?? 0) + 1);
    };
    /** Removes the entry of `id`; returns the gradient when nothing points at it any more. */
    const dropGradient = (id: number): tf.Tensor | undefined => {
      const g = gradientOf.get(id);
      if (g === undefined) return undefined;
      gradientOf.delete(id);
      const left = (entries.get(g) ?? 1) - 1;
      if (left > 0) {
        entries.set(g, left);
        return undefined;
      }
      entries.delete(g);
      return g;
    };
    setGradient(y.id, tf.onesLike(y));
    const wanted = new Set(varList.map((v) => v.id));
    for (let i = nodes.length - 1; i >= 0; i--) {
      const node = nodes[i];
      if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
      const dys = node.outputs.map((output) => gradientOf.get(output.id) ?? null) as tf.Tensor[];
      const inputGradients = node.gradient(dys);
      for (const [name, x] of Object.entries(node.inputs)) {
        if (!(name in inputGradients)) {
          throw new Error(`Cannot backprop through input ${name}. Available gradients found: ${Object.keys(inputGradients)}.`);
        }
        const dx = engine.tidy(() => inputGradients[name]());
        if (dx.dtype !== "float32") throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${name} must have 'float32' dtype, but has '${dx.dtype}'`);
        if (!tf.util.arraysEqual(dx.shape, x.shape)) {
          throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${name}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
        }
        const current = gradientOf.get(x.id);
        if (current === undefined) {
          setGradient(x.id, dx);
        } else {
          const sum = tf.add(current, dx);
          dropGradient(x.id)?.dispose();
          setGradient(x.id, sum);
        }
      }
      // This node was the last reader of its outputs' gradients and of what it saved.
      for (const output of node.outputs) if (!wanted.has(output.id)) dropGradient(output.id)?.dispose();
      for (const t of node.saved ?? []) if (!entries.has(t)) t.dispose();
    }
    const found: tf.NamedTensorMap = {};
    for (const v of varList) {
      const g = gradientOf.get(v.id);
      if (g !== undefined) found[v.name] = g;
    }
    return found;
  });
  // As tfjs at the end of a first-order gradient: free what every node of the tape saved, and the tape.
  for (const node of tape) for (const t of node.saved ?? []) t.dispose();
  engine.state.activeTape = null;
  if (Object.keys(grads).length === 0) {
    y.dispose();
    throw new Error("Cannot find a connection between any variable and the result of the loss function y=f(x). Please make sure the operations that use variables are inside the function f passed to minimize().");
  }
  return { value: y as tf.Scalar, grads };
}
