import { type BackendName, selectBackend } from "@gan/backend/node";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import { DATASETS, DEFAULT_PREPARE_OUT, prepareCommand } from "./commands/prepare";
import { clusterCommand } from "./commands/cluster";
import { demoCommand } from "./commands/demo";
import { exportWebCommand } from "./commands/export-web";
import { exportTorchCommand } from "./commands/export-torch";
import { DISCRIMINATOR_KEYS, GENERATOR_KEYS, importTorchCommand } from "./commands/import-torch";
import { infoCommand } from "./commands/info";
import { sampleCommand } from "./commands/sample";
import { type CommandIO, trainCommand } from "./commands/train";
import { ResumeConflictError } from "./resume";
import { TrainingDivergedError } from "./divergence";
import { METRIC_DATASET_NAMES } from "@gan/metrics";
import { evalCommand } from "@gan/metrics/node";
import { LOSS_NAMES } from "@gan/losses";
import { MODELS, RECIPE_NAMES, getRecipe, latentGapSpec } from "@gan/recipes";
import packageJson from "../package.json";
import { generatorOf, marginalWeights } from "./models";
import { loadPlugins } from "./plugins";
import { int, intList, layerListOrNone, numberIn, oneOf, positive } from "./parse";
import { DEFAULT_DIFF_AUGMENT, DIFF_AUGMENT_OPS, checkDiffAugmentPolicy, trainingSetup } from "./training-setup";

const BACKENDS = ["auto", "tensorflow-gpu", "tensorflow", "wasm", "cpu"] as const;

function backendOption(): Option {
  return new Option("--backend <name>", `tfjs backend: ${BACKENDS.join(" | ")}`).argParser(oneOf(BACKENDS)).default("auto");
}

function threadsOption(): Option {
  return new Option("--threads <n>", "wasm backend threads: 1-8 or auto (default auto: one per logical CPU, at most 8; in gan train 1 while that trains faster, rechecked every minute)").argParser(
    (v) => (v === "auto" ? "auto" : int(1)(v)),
  );
}

/** Builds the `gan` program; actions write through `io`. */
export function createProgram(io: CommandIO): Command {
  const program = new Command("gan")
    .description("Train DCGAN and SAGAN image generators on TensorFlow.js")
    .version(packageJson.version, "-V, --version", "print the version of @gan/cli")
    .showHelpAfterError("(run 'gan <command> --help' for usage)")
    .configureOutput({ writeOut: (s) => io.log(s.replace(/\n$/, "")), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  program
    .command("prepare")
    .description(
      "write an image folder to train on (mnist78: the reference's 200 7s and 200 8s, 64×64 JPEG, flat; mnist, fashion-mnist: all ten classes, one sub-folder per class; emoji: 1,870 colour emoji of Debian's fonts-noto-color-emoji, one sub-folder per Unicode group)",
    )
    .addArgument(new Command().createArgument("<dataset>", DATASETS.join(" | ")).argParser(oneOf(DATASETS)))
    .option("--out <dir>", `output folder (default: ${Object.entries(DEFAULT_PREPARE_OUT).map(([d, o]) => `${o} for ${d}`).join(", ")})`)
    .option("--digits <list>", "labels to take, e.g. 7,8 (default: 7,8 for mnist78, all otherwise; emoji: group numbers, 0 = Smileys & Emotion)", intList)
    .option("--per-digit <n>", "images per label (default 200; emoji: all)", int(1))
    .option("--flat", "one folder instead of a sub-folder per class (mnist78 is always flat)")
    .option("--size <px>", "image side", int(8), 64)
    .addOption(new Option("--format <fmt>", "jpg | png (default: jpg; emoji: png)").argParser(oneOf(["jpg", "png"] as const)))
    .action(async (dataset, opts) => {
      opts.format ??= dataset === "emoji" ? "png" : "jpg";
      await prepareCommand({ dataset, ...opts }, io);
    });

  program
    .command("cluster")
    .description("sort an unlabelled image folder into sub-folders of look-alikes (k-means of 16×16 thumbnails): pseudo-classes for a conditional recipe")
    .requiredOption("--data <dir>", "the image folder (searched recursively)")
    .requiredOption("--clusters <k>", "clusters to form", int(1))
    .requiredOption("--out <dir>", "the new folder: one sub-folder per cluster, cluster-00 the largest")
    .option("--seed <n>", "seed of the k-means++ starts", int(0), 0)
    .addOption(new Option("--channels <n>", "1 (grayscale) or 3 (RGB)").argParser((v) => Number(oneOf(["1", "3"] as const)(v)) as 1 | 3).default(1))
    .action(async (opts) => {
      await clusterCommand(opts, io);
    });

  program
    .command("train")
    .description("train a model on an image folder; writes the run folder (samples, attention maps, losses, checkpoints)")
    .addOption(
      new Option("--recipe <name>", `a named recipe of @gan/recipes: ${RECIPE_NAMES.join(" | ")}; the flags below override its fields (default: the article's recipe of --model)`).argParser(oneOf(RECIPE_NAMES)),
    )
    .addOption(new Option("--model <name>", `${MODELS.join(" | ")} (default: the recipe's, else sagan)`).argParser(oneOf(MODELS)))
    .requiredOption("--data <dir>", "folder of training images (see 'gan prepare')")
    .option("--epochs <n>", "epochs to train (default: the recipe's; the article's: 300)", int(1))
    .option("--batch-size <n>", "images per batch (default: the recipe's; the article's: 64)", int(1))
    .option("--out <dir>", "run folder", "runs/train")
    .addOption(backendOption())
    .addOption(threadsOption())
    .option("--seed <n>", "seed of initialisation, shuffling and noise", int(0), 0)
    .option(
      "--resume",
      "continue the run in --out from its latest checkpoint, with everything config.json records (model, seed, batch size, epochs, recipe, training setup); a flag that disagrees is an error, except --epochs, --g-lr and --d-lr (overrides logged in config.json's history) and the run options (see below)",
      false,
    )
    .option("--from <checkpoint>", "with --resume: continue from this checkpoint (step-0000120, or its folder) instead of the latest, e.g. the previous good one when the latest is corrupt")
    .option(
      "--sample-every <n>",
      "epochs between sample grids, attention maps and the loss plot (default: every epoch, or the fewest epochs that span 50 steps when epochs are shorter)",
      int(1),
    )
    .option("--checkpoint-every <n>", "epochs between checkpoints (default: as --sample-every)", int(1))
    .option("--keep <n>", "checkpoints to keep", int(1), 3)
    .option("--width <n>", "width multiplier, the article's image_size (default: the recipe's; the article's: 64)", int(1))
    .option("--z-dim <n>", "latent size (default: the recipe's; the article's: 20)", int(1))
    .addOption(new Option("--channels <n>", "1 | 3 (default: the recipe's, 1)").argParser((v) => oneOf(["1", "3"] as const)(v)))
    .addOption(new Option("--loss <name>", `${LOSS_NAMES.join(" | ")} (default: the recipe's; the article's: bce for dcgan, hinge for sagan)`).argParser(oneOf(LOSS_NAMES)))
    .option("--g-lr <lr>", "generator learning rate (default: the recipe's; the article's: 1e-4)", positive)
    .option("--d-lr <lr>", "discriminator learning rate (default: the recipe's; the article's: 4e-4)", positive)
    .option("--d-steps <n>", "discriminator steps per generator step (default: the recipe's; the article's: 1)", int(1))
    .option("--beta1 <b>", "Adam beta1 of both optimizers, in [0, 1) (default: the recipe's; the article's: 0)", numberIn(0, 1, { maxOpen: true }))
    .option("--beta2 <b>", "Adam beta2 of both optimizers, in [0, 1) (default: the recipe's; the article's: 0.9)", numberIn(0, 1, { maxOpen: true }))
    .option("--ema", "keep an EMA of the generator: generator-ema.safetensors in checkpoints, grids in samples-ema/")
    .option("--no-ema", "no EMA, even when the recipe keeps one")
    .option("--ema-decay <d>", "EMA decay per step, in [0, 1] (default 0.999; needs --ema)", numberIn(0, 1))
    .option("--ema-start <step>", "step from which the EMA averages; it copies the weights before (default 0; needs --ema)", int(0))
    .option("--diff-augment [policy]", `DiffAugment on the real and fake images D scores; policy: comma-separated ${DIFF_AUGMENT_OPS.join(", ")} (default ${DEFAULT_DIFF_AUGMENT})`, diffAugmentArg)
    .option("--no-diff-augment", "no DiffAugment, even when the recipe has it")
    .option("--diff-augment-translation <ratio>", "DiffAugment's largest shift as a fraction of the side, in (0, 0.5] (default 0.125; needs --diff-augment with translation)", numberIn(0, 0.5, { minOpen: true }))
    .option("--lecam <weight>", "LeCam regularisation of D's loss with this weight, > 0 (Tseng et al. 2021; e.g. 0.3)", positive)
    .option("--eval-every <epochs>", "score FID, KID, purity and balance every this many epochs into metrics.jsonl and fid.png", int(1))
    .option("--eval-n <n>", "samples and real reference digits per evaluation (default 400; needs --eval-every)", int(2))
    .option("--eval-dataset <name>", "the data set whose classifier and real test images score the samples: mnist | fashion-mnist (default: the recipe's, else mnist; needs an evaluation)")
    .option("--no-eval", "no evaluation, even when the recipe has one")
    .option("--max-minutes <m>", "stop (with a checkpoint) after this long", positive)
    .option("--plugin <file>", "a module to load first, e.g. one that calls registerLayer() (repeatable)", collect, [])
    .option("--attention <name>", "a registered attention layer for SAGAN's attention slots")
    .option("--attention-after <layers>", "SAGAN: layers (1-4) followed by attention, e.g. 3 (default 3,4)", intList)
    .option("--d-attention-after <layers>", "SAGAN: the discriminator's own attention layers, or none (default: as --attention-after)", layerListOrNone)
    .option("--no-g-spectral-norm", "SAGAN: no spectral normalisation in the generator (the discriminator keeps it)")
    .addOption(
      new Option("--working-size <side>", "SAGAN: the side both nets work at, 64 (the reference) or 32 (G upsamples its 32×32 image, D pools its input; images stay 64×64)")
        .argParser((v) => Number(oneOf(["32", "64"] as const)(v)) as 32 | 64),
    )
    .option(
      "--latent-gap [dims]",
      "a latent prior with separate modes: the generator maps the first dims (default 1) coordinates of z to sign(z)·(2 + 0.5·|z|)",
      int(1),
    )
    .option(
      "--minibatch-std [group]",
      "SAGAN: the discriminator sees how much the samples of each group of this many (default 4) differ (minibatch standard deviation, before its last layer)",
      int(2),
    )
    .option(
      "--pack <n>",
      "SAGAN, unconditional: the discriminator scores packs of n images stacked along the channels (PacGAN; e.g. 2), against a generator that draws some kinds of image too rarely",
      int(2),
    )
    .option(
      "--conditional",
      "class-conditional nets: label the images by their class sub-folders (as 'gan prepare mnist' writes them: 0/ … 9/), one class per row in the sample grids; config.json records the classes for 'gan sample --class' / '--per-class'",
    )
    .option("--skip-invalid", "leave out image files that fail to decode (each image is decoded once up front), listing them", false)
    .option("--quiet", "no progress bar", false)
    .addHelpText("after", RESUME_HELP)
    .action(async (opts, cmd: Command) => {
      // Commander names --d-attention-after's value dAttentionAfter, gives gSpectralNorm true unless --no-g-spectral-norm
      // and eval true unless --no-eval. --latent-gap without a value is true: one split coordinate; --minibatch-std
      // without a value is true: groups of 4.
      const { dAttentionAfter, gSpectralNorm, latentGap, minibatchStd, pack, eval: evaluate, channels, ...rest } = opts;
      const flags = { ...rest, ...(evaluate === false ? { noEval: true } : {}) };
      try {
        // Flag combinations (--ema-decay without --ema...) are command-line errors, checked against the recipe.
        const base = getRecipe(opts.recipe ?? opts.model ?? "sagan").training;
        trainingSetup(flags, channels === undefined ? 1 : (Number(channels) as 1 | 3), opts.resume ? {} : base);
      } catch (e) {
        if (!opts.resume) cmd.error(`error: ${(e as Error).message}`, { exitCode: 2, code: "gan.usage" });
      }
      if (opts.from !== undefined && !opts.resume) cmd.error("error: --from needs --resume", { exitCode: 2, code: "gan.usage" });
      const result = await trainCommand(
        {
          ...flags,
          given: givenOptions(cmd),
          ...(channels !== undefined ? { channels: Number(channels) as 1 | 3 } : {}),
          ...(latentGap !== undefined ? { latentGap: latentGapSpec(latentGap === true ? 1 : latentGap) } : {}),
          ...(minibatchStd !== undefined ? { discriminatorMinibatchStd: minibatchStd === true ? 4 : minibatchStd } : {}),
          ...(pack !== undefined ? { discriminatorPack: pack } : {}),
          ...(dAttentionAfter ? { discriminatorAttentionAfter: dAttentionAfter } : {}),
          ...(gSpectralNorm === false ? { generatorSpectralNorm: false } : {}),
        },
        io,
      ).catch((e: unknown) => {
        // Flags that disagree with a resumed run's record are a wrong command line.
        if (e instanceof ResumeConflictError) cmd.error(`error: ${e.message}`, { exitCode: 2, code: "gan.usage" });
        throw e;
      });
      // An interrupted run exits 130 (128 + SIGINT), so scripts can tell it from a finished one.
      if (result.stoppedBy === "interrupt") throw new ExitCode(130);
    });

  program
    .command("sample")
    .description("draw images from a trained generator")
    .requiredOption("--checkpoint <path>", "a run folder, a checkpoint folder, or a generator .safetensors in a run")
    .option("--n <n>", "number of images", int(1), 64)
    .option("--out <path>", "PNG grid, or a folder with --individual", "samples.png")
    .option("--seed <n>", "seed of the latent codes", int(0), 0)
    .option("--individual", "one PNG per image into the --out folder", false)
    .option("--ema", "draw from the EMA generator (generator-ema.safetensors of the checkpoint)", false)
    .option("--class <class>", "a conditional run: every sample of this class, by the name config.json records (a class folder such as 7) or else by label index")
    .option("--per-class <n>", "a conditional run: a grid with one row per class, n samples in each (instead of --n)", int(1))
    .option("--marginal", "a conditional run: labels in proportion to the images per class it trained on (its whole distribution, as of a 'gan cluster' folder)")
    .addOption(backendOption())
    .addOption(threadsOption())
    .option("--plugin <file>", "a module to load first (repeatable)", collect, [])
    .action(async (opts) => {
      await sampleCommand(opts, io);
    });

  program
    .command("export-web")
    .description("copy a run's generator weights and a manifest into a folder the web demo (examples/web-demo) loads")
    .requiredOption("--run <dir>", "a run folder (its latest checkpoint) or one of its checkpoint folders")
    .requiredOption("--out <dir>", "folder to write manifest.json and generator.safetensors into")
    .option("--ema", "export the EMA generator (generator-ema.safetensors of the checkpoint, kept by 'gan train --ema')", false)
    .action(async (opts) => {
      await exportWebCommand(opts, io);
    });

  program
    .command("import-torch")
    .description("make a run folder from a PyTorch .pth file of the article's SAGAN or DCGAN, for sample, eval, export-web and export-torch")
    .argument("<file>", "a torch.save file: a generator state dict, or a dict of state dicts ({generator, discriminator}, {G, D}, {netG, netD})")
    .addOption(new Option("--model <name>", MODELS.join(" | ")).argParser(oneOf(MODELS)).makeOptionMandatory())
    .requiredOption("--out <dir>", "the run folder to create (refused when it already holds a run)")
    .option("--key <name>", `the generator's entry in a dict of state dicts (default: ${GENERATOR_KEYS.join(", ")}, whichever is there)`)
    .option("--discriminator-key <name>", `the discriminator's entry (default: ${DISCRIMINATOR_KEYS.join(", ")} when there)`)
    .option("--z-dim <n>", "the latent size the weights must have (default: read from them)", int(1))
    .option("--width <n>", "the width multiplier the weights must have (default: read from them)", int(1))
    .addHelpText("after", IMPORT_TORCH_HELP)
    .action(async (file, opts) => {
      await importTorchCommand({ file, ...opts }, io);
    });

  program
    .command("export-torch")
    .description("write a run's checkpoint as a PyTorch .pth file: {generator, discriminator} state dicts for tools/reference/reference.py")
    .argument("<run>", "a run folder (its latest checkpoint) or one of its checkpoint folders")
    .requiredOption("--out <file>", "the .pth file to write (replaced atomically)")
    .option("--ema", "export the EMA generator (generator-ema.safetensors of the checkpoint) as the generator", false)
    .addHelpText("after", EXPORT_TORCH_HELP)
    .action(async (run, opts) => {
      await exportTorchCommand({ run, ...opts }, io);
    });

  program
    .command("eval")
    .description("score a run's generator: FID, KID, purity, class balance (comparable only at equal n)")
    .requiredOption("--run <path>", "a run folder or checkpoint folder")
    .option("--n <n>", "samples and real reference digits", int(2), 400)
    .option("--seed <n>", "seed of the latent codes", int(0), 0)
    .option("--ema", "score the EMA generator (generator-ema.safetensors)", false)
    .option("--rejected <file.png>", "write a grid of the samples that fail the purity test, and what the classifier called them")
    .option("--dataset <name>", "the data set the run trained on: its classifier and real reference images", oneOf(METRIC_DATASET_NAMES), "mnist")
    .option("--classes <list>", "classes the run trained on, e.g. 7,8 (default: 7,8 for mnist, all ten for fashion-mnist)", intList)
    .option("--conditional", "ask a conditional generator for n/classes samples per class and report conditional accuracy (default: when the generator has classes)")
    .option("--no-conditional", "never pass labels to the generator")
    .option("--marginal", "a conditional run: score its whole distribution, labels in proportion to the images per class it trained on (a run on a 'gan cluster' folder); no conditional accuracy")
    .option("--class-labels <kind>", "a conditional generator's label for a class: class (itself) or index (its position in --classes)", oneOf(["class", "index"] as const))
    .addOption(backendOption())
    .addOption(threadsOption())
    .option("--plugin <file>", "a module to load first (repeatable)", collect, [])
    .action(async (opts) => {
      await loadPlugins(opts.plugin);
      await useBackend(opts, io);
      const { marginal, ...rest } = opts;
      const labelWeights = marginal ? await marginalWeights(opts.run) : undefined;
      await evalCommand({ ...rest, ...(labelWeights ? { labelWeights } : {}) }, async (runDir) => generatorOf(runDir), io);
    });

  program
    .command("info")
    .description("show the backend that would be used and the package versions")
    .addOption(backendOption())
    .addOption(threadsOption())
    .action(async (opts) => {
      await infoCommand(opts, io);
    });

  program
    .command("demo")
    .description("prepare MNIST 7/8, then 'gan train --recipe fast --max-minutes <minutes>' (the README's main command)")
    .option("--out <dir>", "run folder", "runs/demo")
    .option("--data <dir>", "data folder", "data/img_78")
    .option("--minutes <m>", "time budget (training, evaluations and pictures)", positive, 5)
    .addOption(backendOption())
    .addOption(threadsOption())
    .option("--width <n>", "width multiplier (default: the fast recipe's, 16)", int(1))
    .option("--batch-size <n>", "images per batch (default: the fast recipe's, 32)", int(1))
    .option("--epochs <n>", "epochs at most (default: the fast recipe's, 1000)", int(1))
    .option("--seed <n>", "seed", int(0), 0)
    .option("--eval-every <epochs>", "score G and its EMA (FID, purity...) every this many epochs; 0: never (default: the fast recipe's, 12)", int(0))
    .action(async (opts) => {
      const result = await demoCommand(opts, io);
      if (result.stoppedBy === "interrupt") throw new ExitCode(130);
    });
  return program;
}

/** Selects the backend a command asked for (`--backend`, `--threads`), printing the choice through `io`. */
async function useBackend(opts: { backend: BackendName; threads?: number | "auto" }, io: CommandIO): Promise<void> {
  await selectBackend(opts.backend, {
    log: io.log,
    warn: (m) => io.stderr.write(`${m}\n`),
    ...(opts.threads ? { threads: opts.threads } : {}),
  });
}

/** `gan train --help`'s section on `--resume`. */
const RESUME_HELP = `
Resume (--resume --out <run>):
  Everything that defines the run comes from <run>/config.json: the recipe, the model (--model, --width, --z-dim,
  --channels, --seed, the SAGAN layout flags), the batch size, the epoch count and the training setup (--loss,
  --beta1, --beta2, --d-steps, --ema*, --diff-augment*, --lecam). Leave these flags out; one given with the
  recorded value is accepted, one that disagrees is an error naming it with both values (exit 2).
  Overrides, applied and logged in config.json's "history" (one entry per resume):
    --epochs <n>   train further, or stop earlier
    --g-lr, --d-lr a new learning rate (e.g. lower after a divergence); Adam keeps its moments
  Run options, free to change: --data (the same images, wherever they are now), --backend, --threads,
  --max-minutes, --sample-every, --checkpoint-every, --keep, --eval-every, --eval-n, --eval-dataset, --no-eval, --plugin,
  --skip-invalid, --quiet.
  A missing or empty <run>, or one without config.json or without a checkpoint, is an error (exit 1), never a
  fresh run. A corrupt latest checkpoint is an error naming it, why, and the command that resumes from the
  previous good one with --from <step-NNNNNNN>.`;

/** `gan import-torch --help`'s closing section. */
const IMPORT_TORCH_HELP = `
The file is read by @gan/torch's restricted unpickler: state dicts only (tensors, dicts, lists, numbers, strings),
nothing in it is run; a file of torch.save(model), the legacy pre-1.6 format or TorchScript is refused. z_dim, width
and channels come from the weights' shapes; the weights are loaded strictly (a missing, unexpected or mis-shaped
tensor is an error naming it). The run folder gets config.json and checkpoints/step-0000000/ with
generator.safetensors (and discriminator.safetensors when the file has one); an imported run cannot be resumed.

Example (PyTorch side: torch.save({"generator": G.state_dict(), "discriminator": D.state_dict()}, "sagan.pth")):
  gan import-torch sagan.pth --model sagan --out runs/from-torch
  gan sample --checkpoint runs/from-torch --out samples.png`;

/** `gan export-torch --help`'s closing section. */
const EXPORT_TORCH_HELP = `
The file holds {"generator": G_sd, "discriminator": D_sd} (no discriminator when the checkpoint has none), with
PyTorch's names, shapes and dtypes (float32, int64 num_batches_tracked). In PyTorch, with the article's classes
(tools/reference/reference.py):
  sd = torch.load("sagan.pth")
  G = SaganGenerator(z_dim=20, image_size=64); G.load_state_dict(sd["generator"])
  D = SaganDiscriminator(z_dim=20, image_size=64); D.load_state_dict(sd["discriminator"])`;

/**
 * The options of `cmd` the user gave on the command line (not commander defaults), by their
 * `TrainCommandOptions` names.
 */
function givenOptions(cmd: Command): Set<string> {
  const names: Record<string, string> = {
    dAttentionAfter: "discriminatorAttentionAfter",
    gSpectralNorm: "generatorSpectralNorm",
    minibatchStd: "discriminatorMinibatchStd",
    pack: "discriminatorPack",
    eval: "noEval",
  };
  const given = new Set<string>();
  for (const key of Object.keys(cmd.opts())) {
    if (cmd.getOptionValueSource(key) === "cli") given.add(names[key] ?? key);
  }
  return given;
}

/** Commander parser of `--diff-augment`'s policy. */
function diffAugmentArg(value: string): string {
  try {
    return checkDiffAugmentPolicy(value);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message.replace(/^--diff-augment: /, ""));
  }
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/**
 * Runs the `gan` command line and resolves with the exit code: 0 on success, 2 for a wrong command line
 * (one-line error and usage), 1 when the command failed (one-line error), 3 when training diverged (a NaN,
 * infinite or exploding loss; the error names the last good checkpoint and the command that resumes it).
 */
export async function main(argv: string[], io: CommandIO = defaultIO()): Promise<number> {
  const program = createProgram(io);
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (e) {
    if (e instanceof ExitCode) return e.code;
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? 0 : 2;
    }
    io.stderr.write(`gan: error: ${(e as Error).message}\n`);
    return e instanceof TrainingDivergedError ? e.exitCode : 1;
  }
}

/** A command that ended without an error but with an exit code of its own (130 for an interrupted run). */
class ExitCode extends Error {
  constructor(readonly code: number) {
    super(`exit ${code}`);
  }
}

function defaultIO(): CommandIO {
  return { log: (m) => console.log(m), stderr: process.stderr };
}
