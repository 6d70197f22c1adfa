export { ImageCache } from "./cache";
export { type Batch, DataLoader, type DataLoaderOptions, type DataLoaderState } from "./data-loader";
export { ArrayImageDataset, type ArrayImageDatasetOptions, type ImageDataset, readBatch, toBatchTensor } from "./dataset";
export { type DecodedImage, type DecodeOptions, decodeImage, readImageHeader, rgbToGray } from "./decode";
export { DataError, type DataErrorCode, type InvalidFile } from "./errors";
export { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, type FashionMnist, type FashionMnistOptions, loadFashionMnist } from "./fashion-mnist";
export { extensionOf, IMAGE_EXTENSIONS, UNSUPPORTED_IMAGE_EXTENSIONS } from "./formats";
export { type IdxArray, parseIdx } from "./idx";
export { type FileListOptions, ImageFolder, type ImageFolderOptions, type ImageOptions } from "./image-folder";
export {
  loadMnist,
  type MnistImages,
  type MnistSelection,
  mnistImages,
  type PrepareMnistOptions,
  prepareMnist,
} from "./mnist";
export { type MnistPackage, openMnistPackage } from "./mnist-package";
export { Normalizer } from "./normalize";
export { resizeBicubicPil } from "./pil-resize";
export { epochPermutation, hash32 } from "./random";
export { type FolderScan, type ScanOptions, scanFolder } from "./scan";
