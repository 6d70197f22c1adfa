/**
 * Name of the fused self-attention kernel: `SelfAttention2d` of `@gan/layers` dispatches to it when the active
 * backend has it (`@gan/backend` registers it for wasm), and computes the attention from ordinary ops otherwise.
 * One name for both sides of that contract.
 */
export const FUSED_ATTENTION_KERNEL = "GanFusedAttention";

/** Name of the gradient kernel of {@link FUSED_ATTENTION_KERNEL}. */
export const FUSED_ATTENTION_GRAD_KERNEL = "GanFusedAttentionGrad";

/**
 * Name of the fused Adam update kernel: `@gan/trainer`'s Adam dispatches to it when the active backend has it
 * (`@gan/backend` registers it for wasm), and updates with tfjs's ops otherwise. Inputs `x`, `m`, `v`, `g`
 * (the parameter, its two moments and its gradient, float32 of one shape); attrs `beta1`, `beta2`, `epsilon`,
 * `learningRate`, `oneMinusAccBeta1`, `oneMinusAccBeta2` (1 − βᵗ as float32); outputs the new `[x, m, v]`,
 * bit for bit what `tf.train.adam` computes.
 */
export const ADAM_UPDATE_KERNEL = "GanAdamUpdate";
