import type { TrainerCallback } from "@gan/trainer";
import cliProgress from "cli-progress";

/**
 * A training callback drawing one progress bar per epoch: batches done, D and G losses, images/s and the
 * ETA of the epoch. On a terminal that is not a TTY (CI, a log file) it prints a line per epoch instead.
 */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): TrainerCallback {
  let bar: cliProgress.SingleBar | undefined;
  const tty = Boolean(stream.isTTY);
  let started = 0;
  let images = 0;
  return {
    name: "progress",
    onBatchEnd(ctx, m) {
      if (!bar) {
        bar = new cliProgress.SingleBar(
          {
            stream,
            format: `epoch ${ctx.epoch + 1}/${ctx.epochs} |{bar}| {value}/{total} | D {d} G {g} | {rate} img/s | ETA {eta_formatted}`,
            hideCursor: tty,
            noTTYOutput: false,
            etaBuffer: 5,
          },
          cliProgress.Presets.shades_classic,
        );
        if (tty) bar.start(ctx.batchesPerEpoch ?? 0, 0, { d: "-", g: "-", rate: "-" });
        started = performance.now();
        images = 0;
      }
      images += m.images;
      const rate = images / ((performance.now() - started) / 1000);
      const values = { d: m.dLoss.toFixed(4), g: m.gLoss.toFixed(4), rate: rate.toFixed(1) };
      if (tty) bar.update(m.batch, values);
    },
    onEpochEnd(ctx, m) {
      if (tty) bar?.stop();
      bar = undefined;
      const secs = (performance.now() - started) / 1000;
      stream.write(
        `epoch ${ctx.epoch + 1}/${ctx.epochs}: D loss ${m.dLoss.toFixed(4)}, G loss ${m.gLoss.toFixed(4)}, ${secs.toFixed(1)} s\n`,
      );
    },
    onTrainEnd() {
      if (tty) bar?.stop();
      bar = undefined;
    },
  };
}
