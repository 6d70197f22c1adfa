import "./register-gradients";

export { Module, type StateDict, type LoadStateDictOptions } from "./module";
export { Random, defaultRandom, manualSeed, type RandomState } from "./random";
export { WeightedModule } from "./weighted-module";
export {
  encodeSafetensors,
  decodeSafetensors,
  type SafetensorsContent,
  type EncodeSafetensorsOptions,
} from "./safetensors";
export { relativeError } from "./testing";
export { Conv2d, type Conv2dOptions, type Size2 } from "./conv2d";
