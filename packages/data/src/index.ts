/**
 * `@gan/data`: datasets and a seeded, resumable `DataLoader` for GAN training on TensorFlow.js. This entry
 * imports no Node built-in and no native module, so it runs in a browser, a Web Worker and Node alike: build an
 * {@link ArrayImageDataset} from pixels you decoded yourself (a canvas, `createImageBitmap`, a bundled file).
 *
 * Image folders on disk (sharp decoding), MNIST and Fashion-MNIST preparation sit behind the Node entry
 * point `@gan/data/node`.
 *
 * @packageDocumentation
 */
export { ImageCache } from "./cache";
export { type Batch, DataLoader, type DataLoaderOptions, type DataLoaderState } from "./data-loader";
export { ArrayImageDataset, type ArrayImageDatasetOptions, type ImageDataset, readBatch, toBatchTensor } from "./dataset";
export { DataError, type DataErrorCode, type InvalidFile } from "./errors";
export { FASHION_MNIST_CLASSES } from "./fashion-mnist-classes";
export { type ClusterImagesOptions, clusterImages, type KMeansOptions, type KMeansResult, kMeans } from "./k-means";
export { extensionOf, IMAGE_EXTENSIONS, UNSUPPORTED_IMAGE_EXTENSIONS } from "./formats";
export { Normalizer } from "./normalize";
export { resizeBicubicPil } from "./pil-resize";
export { epochPermutation, hash32 } from "./random";
