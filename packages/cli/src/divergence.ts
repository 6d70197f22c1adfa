import { type DivergenceError, type ExplodingLossError, type NonFiniteLossError, formatValue } from "@gan/trainer";

/** The exit status of `gan train` (and `gan demo`) when the run diverged: a NaN, infinite or exploding loss, or a non-finite state. */
export const DIVERGED_EXIT_CODE = 3;

/**
 * A run that diverged, in command-line terms: what happened, the last good checkpoint and the `gan train --resume`
 * command that continues from it with half the learning rates. `main` prints it and exits with
 * {@link DIVERGED_EXIT_CODE}.
 */
export class TrainingDivergedError extends Error {
  readonly exitCode = DIVERGED_EXIT_CODE;

  constructor(error: DivergenceError, run: RunFolders) {
    super(divergenceMessage(error, run), { cause: error });
    this.name = "TrainingDivergedError";
  }
}

/** The folders of a `gan train` run: `--out` and `--data`, which the resume command needs again. */
export interface RunFolders {
  out: string;
  data: string;
}

/**
 * `D loss 1.5e37 at step 123 (epoch 4) exceeds 1e4: training diverged. The last good checkpoint is
 * runs/x/checkpoints/step-0000120; resume from it with lower learning rates: gan train --resume --out runs/x
 * --data data/img_78 --g-lr 5e-5 --d-lr 2e-4`.
 */
export function divergenceMessage(error: DivergenceError, run: RunFolders): string {
  const { gLr, dLr, lastCheckpoint } = error.details;
  const rates = `--g-lr ${formatValue(gLr / 2)} --d-lr ${formatValue(dLr / 2)}`;
  const advice = lastCheckpoint
    ? `The last good checkpoint is ${lastCheckpoint}; resume from it with lower learning rates: gan train --resume --out ${shellWord(run.out)} --data ${shellWord(run.data)} ${rates}`
    : `No checkpoint was written before it; start again with lower learning rates (${rates})`;
  return `${whatHappened(error)}: training diverged. ${advice}`;
}

function whatHappened(error: DivergenceError): string {
  const { step, epoch } = error.details;
  const at = `at step ${step} (epoch ${epoch})`;
  if (error.reason === "non-finite-checkpoint") return `${capitalise(error.summary)}, so it was not saved`;
  const { losses, details } = error as NonFiniteLossError | ExplodingLossError;
  const values = losses.map((k) => `${k === "dLoss" ? "D" : "G"} loss ${formatValue(details[k])}`).join(" and ");
  if (error.reason === "exploding-loss") {
    return `${values} ${at} ${losses.length > 1 ? "exceed" : "exceeds"} ${formatValue((error as ExplodingLossError).details.maxLoss)}`;
  }
  return `${values} ${at}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** `path` as one word of a POSIX shell command line. */
function shellWord(path: string): string {
  return /^[\w./:@%+=,-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`;
}
