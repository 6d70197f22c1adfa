import { gunzipSync } from "node:zlib";
import { DataError } from "./errors";

/** An IDX array (the MNIST file format) of unsigned bytes. */
export interface IdxArray {
  /** Sizes of the dimensions, e.g. `[60000, 28, 28]` for images, `[60000]` for labels. */
  dims: number[];
  /** The values, row-major. */
  data: Uint8Array;
}

/**
 * Parses an IDX file of unsigned bytes (type 0x08), gzipped or not: magic `0x0000 08 nd`, then `nd`
 * big-endian 32-bit sizes, then the bytes.
 *
 * @param name - used in error messages.
 */
export function parseIdx(bytes: Uint8Array, name = "IDX data"): IdxArray {
  const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? new Uint8Array(gunzipSync(bytes)) : bytes;
  if (raw.length < 4 || raw[0] !== 0 || raw[1] !== 0) throw new DataError("INVALID_IMAGE", `${name} is not an IDX file (bad magic number)`, { file: name });
  if (raw[2] !== 0x08) throw new DataError("INVALID_IMAGE", `${name}: IDX type 0x${raw[2].toString(16)} is not unsigned byte (0x08)`, { file: name });
  const nd = raw[3];
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const header = 4 + 4 * nd;
  if (raw.length < header) throw new DataError("INVALID_IMAGE", `${name}: truncated IDX header`, { file: name });
  const dims = Array.from({ length: nd }, (_, i) => view.getUint32(4 + 4 * i, false));
  const count = dims.reduce((a, b) => a * b, 1);
  if (raw.length - header !== count) {
    throw new DataError("INVALID_IMAGE", `${name}: IDX header says ${dims.join("×")} = ${count} bytes, file holds ${raw.length - header} (truncated or corrupt)`, {
      file: name,
    });
  }
  return { dims, data: raw.subarray(header) };
}
