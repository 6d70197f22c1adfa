/**
 * SAGAN (Zhang et al. 2018, as in the article this toolkit follows) on TensorFlow.js: the article's generator
 * and discriminator with spectral normalisation, self-attention and pluggable layers, PyTorch-compatible
 * weights, and the flexible variants the fast recipes use. Depends only on `@gan/spec` and `@gan/layers`:
 * losses are in `@gan/losses`, training in `@gan/trainer`, data in `@gan/data`.
 *
 * @packageDocumentation
 */
export { SaganGenerator } from "./generator";
export { SaganDiscriminator } from "./discriminator";
export { FlexibleSaganGenerator } from "./flexible-generator";
export { FlexibleSaganDiscriminator } from "./flexible-discriminator";
export { createGenerator, createDiscriminator, isReferenceLayout } from "./factories";
export {
  resolveSaganConfig,
  resolveSaganReferenceConfig,
  type SaganConfig,
  type SaganReferenceConfig,
  type ResolvedSaganConfig,
  type ResolvedSaganReferenceConfig,
  type AttentionFactory,
  type AttentionModule,
  type NormalizeFn,
  type NormalizableLayer,
} from "./config";

// Layers, initialisation, randomness and weights files, and the shared model options.
export {
  IMAGE_SIZE,
  Module,
  WeightedModule,
  Sequential,
  Conv2d,
  ConvTranspose2d,
  BatchNorm2d,
  ConditionalBatchNorm2d,
  ProjectionHead,
  Embedding,
  ReLU,
  LeakyReLU,
  Tanh,
  Upsample2d,
  AvgPool2d,
  LatentGap,
  SelfAttention2d,
  spectralNorm,
  dcganInit,
  normal_,
  uniform_,
  constant_,
  Random,
  manualSeed,
  defaultRandom,
  weightsToBytes,
  loadWeightsFromBytes,
  registerLayer,
  getLayer,
  encodeSafetensors,
  decodeSafetensors,
  checkLabels,
  type ConditionalConfig,
  type ModelConfig,
  type GeneratorConfig,
  type InitScheme,
  type StateDict,
  type Layer4D,
  type RandomState,
  type SaveWeightsOptions,
  type LoadWeightsOptions,
  type Conv2dOptions,
  type ConvTranspose2dOptions,
  type BatchNorm2dOptions,
  type ConditionalBatchNorm2dOptions,
  type ProjectionHeadOptions,
  type SelfAttention2dOptions,
  type SpectralNormOptions,
  type LatentGapOptions,
} from "@gan/layers";

// Contracts.
export type {
  GanGenerator,
  GanDiscriminator,
  GeneratorOutput,
  DiscriminatorOutput,
  ForwardOptions,
  AttentionLayer,
  AttentionOutput,
} from "@gan/spec";
