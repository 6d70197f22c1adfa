/**
 * GAN losses on TensorFlow.js: BCE with logits (non-saturating and minimax generator) and hinge, each a
 * {@link GanLoss} from `@gan/spec`, and LeCam regularisation of any of them ({@link withLeCam}).
 *
 * @packageDocumentation
 */
export type { GanLoss } from "@gan/spec";
export { bceWithLogits } from "./bce-with-logits";
export { bceLoss, type BceLoss, type BceLossOptions, type BceGeneratorObjective } from "./bce";
export { hingeLoss, type HingeLoss } from "./hinge";
export { withLeCam, type LeCamLoss, type LeCamOptions, type LeCamState } from "./lecam";
export { lossByName, LOSS_NAMES } from "./by-name";
