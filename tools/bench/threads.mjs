// Training-step time of a recipe on wasm with threads 1, 2 (or any count) and auto (the thread governor), alone and
// next to CPU-bound competitors (busy loops), each setting in a fresh process, interleaved over rounds.
// usage: node tools/bench/threads.mjs [--recipe fast] [--steps 80] [--warmup 3] [--rounds 2] [--modes 1,2,auto]
//                                     [--competitors 0,1] [--batch N] [--parallel]
//   --competitors 0,1: each round runs every mode alone, then next to one busy loop (`node -e 'for(;;){}'`);
//                      2 = two busy loops, and so on. The busy loops inherit this process's nice value.
//   --parallel: the modes of a round run at the same time (each is then load for the others): on a machine whose
//               load comes and goes, every mode sees the same load. Default: one after the other.
//   Build first: pnpm --filter @gan/backend --filter @gan/recipes --filter @gan/trainer build (or pnpm build).
// Prints one JSON line per process, then a table: median and mean step (ms) over the steps after the warm-up (the
// mean counts auto's probes and its steps before it settles), the mean over the last half, and auto's switches.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    child: { type: "boolean", default: false },
    recipe: { type: "string", default: "fast" },
    steps: { type: "string", default: "80" },
    warmup: { type: "string", default: "3" },
    rounds: { type: "string", default: "2" },
    modes: { type: "string", default: "1,2,auto" },
    competitors: { type: "string", default: "0,1" },
    mode: { type: "string", default: "auto" },
    batch: { type: "string" },
    parallel: { type: "boolean", default: false },
  },
});

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;

if (values.child) await child();
else await parent();

/** One process: one thread setting, `steps` training steps of the recipe on random images. */
async function child() {
  const tf = await import("@tensorflow/tfjs-core");
  const { backendInfo } = await import("@gan/backend");
  const { selectBackend, wasmThreadGovernor } = await import("@gan/backend/node");
  const { applyRecipe, getRecipe } = await import("@gan/recipes");
  const { GanTrainer, arrayDataSource } = await import("@gan/trainer");
  const threads = values.mode === "auto" ? "auto" : Number(values.mode);
  const lines = [];
  await selectBackend("wasm", { threads, log: (m) => lines.push(m), warn: (m) => lines.push(m) });
  const governor = wasmThreadGovernor();
  const recipe = getRecipe(values.recipe);
  const run = applyRecipe(recipe, { seed: 0 });
  const batch = Number(values.batch ?? recipe.batchSize);
  const steps = Number(values.steps);
  const images = tf.randomUniform([batch * 8, 64, 64, recipe.model.channels], -1, 1, "float32", 7);
  const times = [];
  const cpu = []; // process CPU time (all threads) per step
  let lastCpu = process.cpuUsage();
  const threadsUsed = [];
  const trainer = new GanTrainer({
    ...run.trainerOptions,
    epochs: 1_000_000,
    generator: run.generator,
    discriminator: run.discriminator,
    loss: run.loss,
    data: arrayDataSource(images, { batchSize: batch }),
    fixedNoiseSize: 1,
    callbacks: [
      ...run.callbacks,
      ...(governor ? [governor.callback] : []),
      {
        onBatchEnd: (ctx, m) => {
          times.push(m.stepMs);
          const used = process.cpuUsage(lastCpu);
          cpu.push((used.user + used.system) / 1000);
          lastCpu = process.cpuUsage();
          threadsUsed.push(backendInfo().threadCount); // the count of the next step
          if (times.length >= steps) ctx.stop();
        },
      },
    ],
  });
  await trainer.fit();
  trainer.dispose();
  run.dispose();
  const timed = times.slice(Number(values.warmup));
  console.log(
    JSON.stringify({
      recipe: values.recipe,
      mode: values.mode,
      batch,
      median_ms: Math.round(median(timed)),
      mean_ms: Math.round(mean(timed)),
      late_mean_ms: Math.round(mean(timed.slice(timed.length >> 1))),
      cpu_median_ms: Math.round(median(cpu.slice(Number(values.warmup)))),
      times_ms: times.map(Math.round),
      threads: threadsUsed,
      probes: governor?.probes.map((p) => ({ ...p, fromMs: Math.round(p.fromMs), toMs: Math.round(p.toMs) })) ?? [],
      switches: lines.filter((l) => l.includes("threads:")),
    }),
  );
}

/** Spawns the children, round after round, with and without busy loops beside them. */
async function parent() {
  const modes = values.modes.split(",");
  const competitorCounts = values.competitors.split(",").map(Number);
  const rounds = Number(values.rounds);
  const script = fileURLToPath(import.meta.url);
  const results = [];
  for (let round = 0; round < rounds; round++) {
    for (const competitors of competitorCounts) {
      const loops = Array.from({ length: competitors }, () => spawn(process.execPath, ["-e", "for(;;){}"], { stdio: "ignore" }));
      try {
        const one = async (mode) => {
          const args = [script, "--child", "--mode", mode, "--recipe", values.recipe, "--steps", values.steps, "--warmup", values.warmup];
          if (values.batch) args.push("--batch", values.batch);
          const out = await runChild(args);
          const result = { round, competitors, ...JSON.parse(out.trim().split("\n").at(-1)) };
          console.log(JSON.stringify(result));
          results.push(result);
        };
        if (values.parallel) await Promise.all(modes.map(one));
        else for (const mode of modes) await one(mode);
      } finally {
        for (const loop of loops) loop.kill();
      }
    }
  }
  const how = values.parallel ? "the modes of a round side by side" : "one process at a time";
  console.log(`\n${values.recipe} recipe, ${values.steps} steps per process (first ${values.warmup} left out), ${rounds} round(s), ${how}`);
  console.log("| busy loops | threads | median step ms | mean step ms | mean, last half | CPU ms per step | auto: switches |");
  console.log("|---|---|---|---|---|---|---|");
  for (const competitors of competitorCounts) {
    for (const mode of modes) {
      const rows = results.filter((r) => r.competitors === competitors && r.mode === mode);
      const fmt = (key) => Math.round(median(rows.map((r) => r[key])));
      const switches = mode === "auto" ? rows.map((r) => r.switches.map((s) => s.replace(/^.*threads: /, "")).join("; ") || "none").join(" / ") : "";
      console.log(`| ${competitors} | ${mode} | ${fmt("median_ms")} | ${fmt("mean_ms")} | ${fmt("late_mean_ms")} | ${fmt("cpu_median_ms")} | ${switches} |`);
    }
  }
}

function runChild(args) {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    proc.stdout.on("data", (d) => {
      out += d;
    });
    proc.on("error", reject);
    proc.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${args.join(" ")} exited with ${code}`))));
  });
}
