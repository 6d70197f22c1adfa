/**
 * A port of Pillow's `Image.resize(..., Image.BICUBIC)` for 8-bit images (Pillow's `libImaging/Resample.c`),
 * bit for bit: the same Keys cubic kernel (a = -0.5), the same window widened by the scale when shrinking
 * (antialiasing), the same clipping and renormalisation of the kernel at the borders, the same 22-bit
 * fixed-point coefficients, and the same two passes (horizontal, rounded and clipped to 8 bits, then
 * vertical).
 *
 * sharp (libvips) does not reproduce this when enlarging: it ignores its `kernel` option and samples
 * with a differently aligned bicubic interpolator, so MNIST's 28×28 digits enlarged to 64×64 differ from
 * Pillow's by up to 88 grey levels. This port is what lets {@link prepareMnist} write the same pixels as
 * the reference's Pillow code.
 */

const PRECISION_BITS = 32 - 8 - 2;
const SUPPORT = 2;

function bicubic(x: number): number {
  const a = -0.5;
  const t = Math.abs(x);
  if (t < 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return (((t - 5) * t + 8) * t - 4) * a;
  return 0;
}

interface Coefficients {
  /** First source index of each output sample's window. */
  first: Int32Array;
  /** Length of each window. */
  count: Int32Array;
  /** Fixed-point weights, `ksize` per output sample. */
  weights: Int32Array;
  ksize: number;
}

/** Pillow's `precompute_coeffs` followed by `normalize_coeffs_8bpc`. */
function coefficients(inSize: number, outSize: number): Coefficients {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = SUPPORT * filterScale;
  const ksize = Math.ceil(support) * 2 + 1;
  const first = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Int32Array(outSize * ksize);
  const k = new Float64Array(ksize);
  for (let xx = 0; xx < outSize; xx++) {
    const center = (xx + 0.5) * scale;
    // C's (int) cast truncates toward zero.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < xmax; x++) {
      k[x] = bicubic((x + xmin - center + 0.5) / filterScale);
      sum += k[x];
    }
    for (let x = 0; x < xmax; x++) {
      const w = sum !== 0 ? k[x] / sum : k[x];
      weights[xx * ksize + x] = Math.trunc(w < 0 ? -0.5 + w * (1 << PRECISION_BITS) : 0.5 + w * (1 << PRECISION_BITS));
    }
    first[xx] = xmin;
    count[xx] = xmax;
  }
  return { first, count, weights, ksize };
}

function clip8(v: number): number {
  if (v >= 1 << (PRECISION_BITS + 8)) return 255;
  if (v <= 0) return 0;
  return v >> PRECISION_BITS;
}

/** One pass along an axis: `stride` steps between neighbours along it, `lineStride` between lines. */
function pass(
  src: Uint8Array,
  dst: Uint8Array,
  lines: number,
  inLen: number,
  outLen: number,
  channels: number,
  horizontal: boolean,
  inWidth: number,
  outWidth: number,
): void {
  const { first, count, weights, ksize } = coefficients(inLen, outLen);
  const half = 1 << (PRECISION_BITS - 1);
  for (let line = 0; line < lines; line++) {
    for (let o = 0; o < outLen; o++) {
      const start = first[o];
      const n = count[o];
      const kOff = o * ksize;
      for (let c = 0; c < channels; c++) {
        let acc = half;
        for (let i = 0; i < n; i++) {
          const srcIndex = horizontal
            ? (line * inWidth + start + i) * channels + c
            : ((start + i) * inWidth + line) * channels + c;
          acc += src[srcIndex] * weights[kOff + i];
        }
        const dstIndex = horizontal ? (line * outWidth + o) * channels + c : (o * outWidth + line) * channels + c;
        dst[dstIndex] = clip8(acc);
      }
    }
  }
}

/**
 * Resizes an 8-bit interleaved (HWC) image exactly as Pillow's `Image.resize((outWidth, outHeight),
 * Image.BICUBIC)` does for modes `L` (1 channel) and `RGB` (3 channels).
 *
 * @param src - `height * width * channels` bytes, row-major, channels interleaved.
 * @returns `outHeight * outWidth * channels` bytes; a copy of `src` when the size is unchanged.
 */
export function resizeBicubicPil(
  src: Uint8Array,
  width: number,
  height: number,
  channels: number,
  outWidth: number,
  outHeight: number,
): Uint8Array {
  if (src.length !== width * height * channels) {
    throw new RangeError(`resizeBicubicPil: expected ${width * height * channels} bytes, got ${src.length}`);
  }
  if (outWidth < 1 || outHeight < 1 || !Number.isInteger(outWidth) || !Number.isInteger(outHeight)) {
    throw new RangeError(`resizeBicubicPil: invalid output size ${outWidth}×${outHeight}`);
  }
  let image = src;
  let w = width;
  if (outWidth !== width) {
    const next = new Uint8Array(height * outWidth * channels);
    pass(image, next, height, width, outWidth, channels, true, width, outWidth);
    image = next;
    w = outWidth;
  }
  if (outHeight !== height) {
    const next = new Uint8Array(outHeight * w * channels);
    pass(image, next, w, height, outHeight, channels, false, w, w);
    image = next;
  }
  return image === src ? src.slice() : image;
}
