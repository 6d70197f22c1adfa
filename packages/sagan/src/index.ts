/**
 * SAGAN (Zhang et al. 2018, as in the article this toolkit follows) on TensorFlow.js: spectral normalisation,
 * self-attention and pluggable layers, with PyTorch-compatible weights. The package to install first: it
 * re-exports what building, sampling and saving a GAN needs.
 *
 * @packageDocumentation
 */
import { SaganDiscriminator } from "./discriminator";
import { SaganGenerator } from "./generator";
import type { SaganConfig } from "./config";

export { SaganGenerator } from "./generator";
export { SaganDiscriminator } from "./discriminator";
export {
  resolveSaganConfig,
  type SaganConfig,
  type ResolvedSaganConfig,
  type AttentionFactory,
  type AttentionModule,
  type NormalizeFn,
  type NormalizableLayer,
} from "./config";

/** Builds the reference SAGAN generator (z_dim 20, width 64, 1 channel, spectral norm, attention after layers 3 and 4). */
export function createGenerator(config: SaganConfig = {}): SaganGenerator {
  return new SaganGenerator(config);
}

/** Builds the reference SAGAN discriminator (width 64, 1 channel, spectral norm, attention after layers 3 and 4). */
export function createDiscriminator(config: SaganConfig = {}): SaganDiscriminator {
  return new SaganDiscriminator(config);
}

// The DCGAN baseline.
export {
  createGenerator as createDcganGenerator,
  createDiscriminator as createDcganDiscriminator,
  DcganGenerator,
  DcganDiscriminator,
  IMAGE_SIZE,
  type DcganConfig,
  type ModelConfig,
  type GeneratorConfig,
  type InitScheme,
} from "@gan/dcgan";

// Layers, initialisation, randomness and weights files.
export {
  Module,
  WeightedModule,
  Sequential,
  Conv2d,
  ConvTranspose2d,
  BatchNorm2d,
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
  saveWeights,
  loadWeights,
  registerLayer,
  getLayer,
  encodeSafetensors,
  decodeSafetensors,
  type StateDict,
  type Layer4D,
  type RandomState,
  type SaveWeightsOptions,
  type LoadWeightsOptions,
  type Conv2dOptions,
  type ConvTranspose2dOptions,
  type BatchNorm2dOptions,
  type SelfAttention2dOptions,
  type SpectralNormOptions,
  type LatentGapOptions,
} from "@gan/layers";

// Losses.
export { hingeLoss, bceLoss, type GanLoss, type HingeLoss, type BceLoss, type BceLossOptions } from "@gan/losses";

// Contracts.
export type {
  GanGenerator,
  GanDiscriminator,
  GeneratorOutput,
  DiscriminatorOutput,
  AttentionLayer,
  AttentionOutput,
} from "@gan/spec";

// Training: the loop, its run folder and callbacks.
export {
  train,
  GanTrainer,
  dataLoaderSource,
  arrayDataSource,
  defaultCallbacks,
  type TrainOptions,
  type TrainRunResult,
  type GanTrainerOptions,
  type TrainerCallback,
  type TrainerContext,
  type DataSource,
  type StepMetrics,
  type EpochMetrics,
} from "@gan/trainer";

// Data: the reference's MNIST 7/8 folder and image-folder loading.
export { prepareMnist, ImageFolder, DataLoader, type DataLoaderOptions, type ImageFolderOptions } from "@gan/data";
