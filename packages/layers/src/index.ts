import "./register-gradients";

export { Module, type StateDict, type LoadStateDictOptions } from "./module";
export { Random, defaultRandom, manualSeed, type RandomState } from "./random";
export { WeightedModule } from "./weighted-module";
export {
  encodeSafetensors,
  encodeSafetensorsAsync,
  decodeSafetensors,
  type SafetensorsContent,
  type SafetensorsDtype,
  type EncodeSafetensorsOptions,
} from "./safetensors";
export { relativeError } from "./testing";
export { Conv2d, type Conv2dOptions, type Size2 } from "./conv2d";
export { ConvTranspose2d, type ConvTranspose2dOptions } from "./conv-transpose2d";
export { BatchNorm2d, type BatchNorm2dOptions } from "./batch-norm2d";
export { ConditionalBatchNorm2d, type ConditionalBatchNorm2dOptions } from "./conditional-batch-norm2d";
export { Embedding, lookupRows, type EmbeddingOptions } from "./embedding";
export { ProjectionHead, type ProjectionHeadOptions } from "./projection-head";
export { standingStatistics } from "./standing-statistics";
export { ReLU, LeakyReLU, Tanh } from "./activations";
export { Sequential, takesLabels, type Layer4D, type ConditionalLayer4D } from "./sequential";
export { Upsample2d } from "./upsample2d";
export { AvgPool2d } from "./avg-pool2d";
export { MinibatchStdDev, type MinibatchStdDevOptions } from "./minibatch-std";
export { PackSamples, type PackSamplesOptions } from "./pack-samples";
export { LatentGap, type LatentGapOptions } from "./latent-gap";
export {
  IMAGE_SIZE,
  MODEL_LIMITS,
  resolveModelConfig,
  resolveLatentGap,
  resolveNumClasses,
  type ConditionalConfig,
  type ModelConfig,
  type GeneratorConfig,
  type ResolvedModelConfig,
  type InitScheme,
} from "./model-config";
export { latentGrid, checkImages, checkLabels } from "./model-inputs";
export { normal_, uniform_, constant_, dcganInit } from "./init";
export { spectralNorm, type SpectralNormOptions } from "./spectral-norm";
export {
  SelfAttention2d,
  type SelfAttention2dOptions,
  type SelfAttention2dOutput,
  FUSED_ATTENTION_KERNEL,
  FUSED_ATTENTION_GRAD_KERNEL,
} from "./self-attention";
export { weightsToBytes, loadWeightsFromBytes, type SaveWeightsOptions, type LoadWeightsOptions } from "./weights-bytes";
export { registerLayer, getLayer, registeredLayers, type LayerFactory } from "./registry";
export {
  diffAugment,
  diffAugmentPolicy,
  withDiffAugment,
  withoutDiffAugment,
  type DiffAugmentOp,
  type DiffAugmentOptions,
  type ImageScorer,
} from "./diff-augment";
