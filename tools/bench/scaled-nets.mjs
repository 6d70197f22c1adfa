// The article's DCGAN and SAGAN nets for other image sides, for the scaling table of docs/performance.md:
// the same nets as `scaled_nets` in tools/bench/reference_step.py, built from @gan/layers. At side 64 they are
// the article's nets (same layers, same parameter count; step.mjs checks it). Benchmark nets, not a library
// feature: the toolkit's models draw 64×64.
import { BatchNorm2d, Conv2d, ConvTranspose2d, LeakyReLU, Module, Random, ReLU, Sequential, SelfAttention2d, Tanh, dcganInit, latentGrid, spectralNorm } from "@gan/layers";
import * as tf from "@tensorflow/tfjs-core";

/** Channels of a hidden block at `resolution`: the article's 512 at 4×4, halving as the side doubles. */
const channelsAt = (resolution) => (512 * 4) / resolution;

/** Where the SAGAN generator attends: after its last two hidden blocks, at most 16×16 and 32×32 (see reference_step.py). */
const generatorAttentionAt = (side) => [Math.min(side / 4, 16), Math.min(side / 2, 32)];

function attendIfAt(attentions, x, maps) {
  const block = attentions.get(x.shape[1]);
  if (!block) return x;
  const { output, attention } = block.forward(x, { attentionMaps: maps != null });
  if (maps && attention) maps.push(attention);
  return output;
}

class ScaledGenerator extends Module {
  constructor(side, sagan, random, zDim = 20) {
    super();
    this.zDim = zDim;
    this.channels = 1;
    this.imageSize = side;
    this.numClasses = undefined;
    const sn = (layer) => (sagan ? spectralNorm(layer, { random }) : layer);
    this.blocks = [this.registerModule("block4", new Sequential(sn(new ConvTranspose2d(zDim, channelsAt(4), 4, { stride: 1, random })), new BatchNorm2d(channelsAt(4)), new ReLU()))];
    for (let r = 8; r <= side / 2; r *= 2) {
      const block = new Sequential(sn(new ConvTranspose2d(channelsAt(r / 2), channelsAt(r), 4, { stride: 2, padding: 1, random })), new BatchNorm2d(channelsAt(r)), new ReLU());
      this.blocks.push(this.registerModule(`block${r}`, block));
    }
    this.attentions = new Map();
    if (sagan) for (const r of generatorAttentionAt(side)) this.attentions.set(r, this.registerModule(`attention${r}`, new SelfAttention2d(channelsAt(r), { random })));
    this.last = this.registerModule("last", new Sequential(new ConvTranspose2d(channelsAt(side / 2), 1, 4, { stride: 2, padding: 1, random }), new Tanh()));
    dcganInit(this, random);
  }

  forward(z, options) {
    return tf.tidy(() => {
      const maps = options?.attentionMaps === false ? null : [];
      let out = latentGrid(z, this.zDim, "ScaledGenerator.forward");
      for (const block of this.blocks) out = attendIfAt(this.attentions, block.forward(out), maps);
      return { images: this.last.forward(out), attentionMaps: maps ?? [] };
    });
  }
}

class ScaledDiscriminator extends Module {
  constructor(side, sagan, random) {
    super();
    this.imageSize = side;
    this.channels = 1;
    this.numClasses = undefined;
    const sn = (layer) => (sagan ? spectralNorm(layer, { random }) : layer);
    this.blocks = [];
    for (let r = side / 2, inC = 1; r >= 4; inC = channelsAt(r), r /= 2) {
      this.blocks.push(this.registerModule(`block${r}`, new Sequential(sn(new Conv2d(inC, channelsAt(r), 4, { stride: 2, padding: 1, random })), new LeakyReLU(0.1))));
    }
    this.attentions = new Map();
    if (sagan) for (const r of [8, 4]) this.attentions.set(r, this.registerModule(`attention${r}`, new SelfAttention2d(channelsAt(r), { random })));
    this.last = this.registerModule("last", new Conv2d(channelsAt(4), 1, 4, { stride: 1, random }));
    dcganInit(this, random);
  }

  forward(images, options) {
    return tf.tidy(() => {
      const maps = options?.attentionMaps === false ? null : [];
      let out = images;
      for (const block of this.blocks) out = attendIfAt(this.attentions, block.forward(out), maps);
      return { logits: tf.reshape(this.last.forward(out), [images.shape[0]]), attentionMaps: maps ?? [] };
    });
  }
}

/** The generator and discriminator of `model` ("dcgan" | "sagan") for `side` × `side` images (32, 64 or 128). */
export function scaledNets(model, side, seed = 1) {
  if (![32, 64, 128].includes(side)) throw new Error(`scaled-nets: side must be 32, 64 or 128, got ${side}`);
  const random = new Random(seed);
  const sagan = model === "sagan";
  return { generator: new ScaledGenerator(side, sagan, random), discriminator: new ScaledDiscriminator(side, sagan, random) };
}
