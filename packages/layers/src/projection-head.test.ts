import "@tensorflow/tfjs-backend-cpu";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { expectParity, get, gradientCase, loadFixture } from "../test/parity";
import { ProjectionHead, Random, dcganInit, relativeError, spectralNorm } from "./index";

beforeAll(async () => {
  await tf.setBackend("cpu");
});

describe("ProjectionHead", () => {
  // tools/parity/make_conditional_fixtures.py: <embed(y), h.view(B, -1)> with nn.Embedding(4, 24), plain and
  // spectrally normalised, on NCHW maps [4, 6, 2, 2] (stored NHWC) and on flat features [4, 24].
  const { tensors } = loadFixture("layers_conditional.safetensors");

  it("matches PyTorch's projection term on NHWC feature maps (flattened in (C, H, W) order) and on flat features", () => {
    const head = new ProjectionHead(4, 24);
    head.getParameter("weight").assign(get(tensors, "proj.plain.weight"));
    for (const name of ["proj.plain", "proj.flat"]) {
      const y = get(tensors, `${name}.labels`) as tf.Tensor1D;
      const errors = gradientCase(head, (x) => head.forward(x, y), tensors, name);
      expectParity(errors, name);
      expect(errors.y, `${name}: output`).toBeLessThanOrEqual(2e-6);
    }
    head.dispose();
  });

  it("with spectralNorm is PyTorch's spectral_norm(nn.Embedding): outputs, gradients, u and v over two training forwards and in eval", () => {
    const head = spectralNorm(new ProjectionHead(4, 24, { random: new Random(1) }), { random: new Random(2) });
    expect(Object.keys(head.stateDict())).toEqual(["weight_orig", "weight_u", "weight_v"]);
    expect(head.getBuffer("weight_u").shape).toEqual([4]);
    expect(head.getBuffer("weight_v").shape).toEqual([24]);
    head.loadStateDict({
      weight_orig: get(tensors, "proj.sn.weight_orig"),
      weight_u: get(tensors, "proj.sn.init.weight_u"),
      weight_v: get(tensors, "proj.sn.init.weight_v"),
    });
    for (const name of ["proj.sn.train0", "proj.sn.train1", "proj.sn.eval"]) {
      if (name === "proj.sn.eval") head.eval();
      const y = get(tensors, `${name}.labels`) as tf.Tensor1D;
      const errors = gradientCase(head, (x) => head.forward(x, y), tensors, name);
      expectParity(errors, name);
      for (const buffer of ["weight_u", "weight_v"]) {
        expect(relativeError(head.getBuffer(buffer), get(tensors, `${name}.${buffer}`)), `${name}: ${buffer}`).toBeLessThanOrEqual(1e-5);
      }
    }
    head.dispose();
  });

  it("is a plain embedding lookup and dot product; dcganInit draws the embedding ~ N(0, 0.02)", () => {
    const random = new Random(4);
    const head = new ProjectionHead(3, 8, { random });
    const phi = random.normal([2, 2, 2, 2]) as tf.Tensor4D; // C·H·W = 8
    const y = tf.tensor1d([2, 0], "int32");
    const out = head.forward(phi, y);
    const expected = tf.tidy(() => {
      const flat = tf.reshape(tf.transpose(phi, [0, 3, 1, 2]), [2, 8]);
      return tf.sum(tf.mul(tf.gather(head.getParameter("weight"), y), flat), 1);
    });
    expect(out.shape).toEqual([2]);
    expect(relativeError(out, expected)).toBeLessThanOrEqual(1e-6);
    dcganInit(head, random);
    const w = head.getParameter("weight").dataSync();
    expect(Math.max(...Array.from(w, Math.abs))).toBeLessThan(0.1);
    const sn = spectralNorm(new ProjectionHead(3, 8, { random }), { random });
    dcganInit(sn, random);
    expect(Math.max(...Array.from(sn.getParameter("weight_orig").dataSync(), Math.abs))).toBeLessThan(0.1);
    tf.dispose([phi, y, out, expected]);
    head.dispose();
    sn.dispose();
  });

  it("rejects mis-shaped features and bad labels", () => {
    const head = new ProjectionHead(3, 8);
    const y = tf.tensor1d([0, 1], "int32");
    expect(() => head.forward(tf.zeros([2, 7]), y)).toThrow(/features must be \[B, 8\] or \[B, H, W, C\] with H·W·C = 8, got \[2,7\]/);
    expect(() => head.forward(tf.zeros([2, 8]))).toThrow(/ProjectionHead.forward: labels are required/);
    expect(() => head.forward(tf.zeros([2, 8]), tf.tensor1d([0, 3], "int32"))).toThrow(/label 3 at index 1 is out of range \[0, 3\)/);
    expect(() => new ProjectionHead(0, 8)).toThrow(/numClasses must be a positive integer/);
    y.dispose();
    head.dispose();
  });
});
