// Copies between tensors in the wasm heap, in plain JS. The wasm backend's Transpose kernel moves one
// element at a time with generic index arithmetic (≈0.1 element/ns on the shapes here); these loops know
// the layout, copy contiguous runs with copyWithin and transpose in cache-sized tiles.

const TILE = 32;

/**
 * Transposes a rows × cols matrix of float32 in `heap`: element (r, c) at `src + r·srcStride + c` goes to
 * `dst + c·dstStride + r`. Strides are in elements, so the matrix may be a slice of a bigger tensor.
 */
export function transposeMatrix(
  heap: Float32Array,
  src: number,
  srcStride: number,
  dst: number,
  dstStride: number,
  rows: number,
  cols: number,
): void {
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let c = c0; c < c1; c++) {
        let d = dst + c * dstStride + r0;
        let s = src + r0 * srcStride + c;
        for (let r = r0; r < r1; r++, d++, s += srcStride) heap[d] = heap[s];
      }
    }
  }
}

/** [A, B, C] → [B, A, C]: moves contiguous runs of C floats. */
export function swapOuterAxes(heap: Float32Array, src: number, dst: number, a: number, b: number, c: number): void {
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) {
      const s = src + (i * b + j) * c;
      const d = dst + (j * a + i) * c;
      if (c >= 16) {
        heap.copyWithin(d, s, s + c);
      } else {
        for (let k = 0; k < c; k++) heap[d + k] = heap[s + k];
      }
    }
  }
}

/** [A, B, C] → [C, B, A]: for each middle index, an A × C transpose. */
export function reverseAxes(heap: Float32Array, src: number, dst: number, a: number, b: number, c: number): void {
  for (let j = 0; j < b; j++) transposeMatrix(heap, src + j * c, b * c, dst + j * a, b * a, a, c);
}

/** [A, B, C] → [A, C, B]: for each outer index, a B × C transpose. */
export function swapInnerAxes(heap: Float32Array, src: number, dst: number, a: number, b: number, c: number): void {
  for (let i = 0; i < a; i++) transposeMatrix(heap, src + i * b * c, c, dst + i * b * c, b, b, c);
}
