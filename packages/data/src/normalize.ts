import { DataError } from "./errors";

/**
 * Per-channel normalisation of 8-bit pixels, as torchvision's `ToTensor()` then `Normalize(mean, std)`:
 * `((v / 255) - mean[c]) / std[c]`, computed in float32 (with the reference's mean = std = 0.5 this maps
 * 0…255 onto -1…1). Implemented as a 256-entry lookup table per channel.
 */
export class Normalizer {
  /** The per-channel means, one per channel. */
  readonly mean: readonly number[];
  /** The per-channel standard deviations, one per channel. */
  readonly std: readonly number[];
  private readonly tables: Float32Array[];

  /**
   * @param channels - channels per pixel (interleaved).
   * @param mean - one value for all channels, or one per channel.
   * @param std - one value for all channels, or one per channel; none may be 0.
   */
  constructor(
    readonly channels: number,
    mean: number | readonly number[] = 0.5,
    std: number | readonly number[] = 0.5,
  ) {
    this.mean = perChannel("mean", mean, channels);
    this.std = perChannel("std", std, channels);
    this.tables = this.mean.map((m, c) => {
      const s = this.std[c];
      if (s === 0 || !Number.isFinite(s)) throw new DataError("BAD_OPTION", `std must be finite and non-zero, got ${s}`);
      const table = new Float32Array(256);
      for (let v = 0; v < 256; v++) table[v] = (Math.fround(v / 255) - Math.fround(m)) / Math.fround(s);
      return table;
    });
  }

  /** Normalises `bytes` (HWC, interleaved) into `out` starting at `offset`; returns `out`. */
  into(bytes: Uint8Array, out: Float32Array, offset = 0): Float32Array {
    const { channels, tables } = this;
    if (channels === 1) {
      const t = tables[0];
      for (let i = 0; i < bytes.length; i++) out[offset + i] = t[bytes[i]];
    } else {
      for (let i = 0; i < bytes.length; i++) out[offset + i] = tables[i % channels][bytes[i]];
    }
    return out;
  }

  /** A new Float32Array holding the normalised `bytes`. */
  apply(bytes: Uint8Array): Float32Array {
    return this.into(bytes, new Float32Array(bytes.length));
  }
}

function perChannel(name: string, value: number | readonly number[], channels: number): number[] {
  const values = typeof value === "number" ? new Array<number>(channels).fill(value) : [...value];
  if (values.length === 1 && channels > 1) return new Array<number>(channels).fill(values[0]);
  if (values.length !== channels || values.some((v) => !Number.isFinite(v))) {
    throw new DataError("BAD_OPTION", `${name} must be a number or ${channels} finite numbers, got ${JSON.stringify(value)}`);
  }
  return values;
}
