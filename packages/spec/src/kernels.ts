/**
 * Name of the fused self-attention kernel: `SelfAttention2d` of `@gan/layers` dispatches to it when the active
 * backend has it (`@gan/backend` registers it for wasm), and computes the attention from ordinary ops otherwise.
 * One name for both sides of that contract.
 */
export const FUSED_ATTENTION_KERNEL = "GanFusedAttention";

/** Name of the gradient kernel of {@link FUSED_ATTENTION_KERNEL}. */
export const FUSED_ATTENTION_GRAD_KERNEL = "GanFusedAttentionGrad";
