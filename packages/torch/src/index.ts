/**
 * `@gan/torch`: PyTorch interop without Python. A safe reader of `torch.save` files (`.pth`, `.pt`: the zip
 * format of PyTorch 1.6 and later) that runs no code, a writer whose files `torch.load` reads, and helpers between
 * PyTorch state dicts and the tfjs modules of `@gan/layers`, `@gan/sagan` and `@gan/dcgan`. Browser-safe: no Node
 * built-in is imported.
 *
 * @packageDocumentation
 */
export {
  TORCH_DTYPES,
  DTYPE_BYTES,
  TorchTensor,
  TorchDict,
  type TorchDtype,
  type TorchArrays,
  type TorchData,
  type TorchKey,
  type TorchValue,
  type TorchStateDict,
} from "./tensor";
export {
  readTorchFile,
  readTorchStateDict,
  asTorchStateDict,
  isTorchStateDict,
  describeValue,
  TorchFileError,
  type ReadTorchOptions,
  type ReadTorchStateDictOptions,
} from "./read";
export { writeTorchFile, type TorchWritable, type WriteTorchOptions } from "./write";
export { ALLOWED_GLOBALS } from "./unpickler";
export {
  torchStateDictToTensors,
  tensorsToTorchStateDict,
  torchStateDictOf,
  loadTorchStateDict,
  type TorchToTensorsOptions,
  type TensorsToTorchOptions,
  type LoadTorchStateDictOptions,
} from "./tfjs";
