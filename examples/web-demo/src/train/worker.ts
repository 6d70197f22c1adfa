/// <reference lib="webworker" />
/**
 * The Train page's Web Worker: the backend, the training session and its IndexedDB checkpoints live here, so the
 * page stays responsive while a step runs. It posts progress after every step and sample grids every couple of
 * seconds of training.
 */
import { IndexedDbCheckpointStore, stepsPerEpoch } from "@gan/trainer";
import * as tf from "@tensorflow/tfjs-core";
import { selectTrainBackend } from "./backend";
import type { Reply, Request } from "./protocol";
import { TrainingSession } from "./session";

declare const self: DedicatedWorkerGlobalScope;

/** The checkpoint database of run `id`. */
export const databaseOf = (id: string) => `gan-web-train-${id}`;

/** Sample grids at most this often while training (ms); the EMA's grid (standing statistics: dearer) every third. */
const SAMPLE_EVERY_MS = 2000;
const EMA_EVERY = 3;

let session: TrainingSession | undefined;
let store: IndexedDbCheckpointStore | undefined;
let lastSamples = 0;
let samplesDrawn = 0;
let sampling = false;

function post(reply: Reply, transfer: Transferable[] = []): void {
  self.postMessage(reply, transfer);
}

/**
 * Starts the best backend here (`preferred`, the page's `?backend=`, first; `threads`, its `?threads=`, for wasm)
 * and tells the page which and why.
 */
async function init(preferred: string | undefined, threads: number | undefined): Promise<void> {
  const choice = await selectTrainBackend(preferred, threads);
  post({ type: "ready", backend: choice.name, detail: choice.detail, skipped: choice.skipped, asked: choice.asked });
}

async function sendSamples(ema: boolean): Promise<void> {
  if (!session || sampling) return;
  sampling = true;
  try {
    const samples = await session.samples();
    const { ema: emaGrid, ...rest } = samples;
    const reply = { type: "samples" as const, ...rest, ...(ema && emaGrid ? { ema: emaGrid } : {}) };
    post(reply, [rest.generator.buffer, ...(reply.ema ? [reply.ema.buffer] : [])]);
    samplesDrawn++;
  } finally {
    sampling = false;
  }
}

async function handle(request: Request): Promise<void> {
  switch (request.type) {
    case "init":
      return init(request.backend, request.threads);
    case "open": {
      if (session) throw new Error("a run is open already");
      store = new IndexedDbCheckpointStore({ database: databaseOf(request.config.id) });
      session = await TrainingSession.open(request.config, request.data, store, (progress) => {
        post({ type: "progress", progress });
        const now = performance.now();
        if (now - lastSamples > SAMPLE_EVERY_MS) {
          lastSamples = now;
          void sendSamples(samplesDrawn % EMA_EVERY === 0).catch(fail);
        }
      });
      const { recipe, trainer } = session;
      const steps = stepsPerEpoch(trainer.data.batchesPerEpoch, trainer.options.dSteps);
      post({
        type: "opened",
        step: session.step,
        ...(session.resumedFrom ? { resumedFrom: session.resumedFrom } : {}),
        recipe: recipe.name,
        description: recipe.description,
        epochs: trainer.options.epochs,
        ...(steps !== undefined ? { stepsPerEpoch: steps } : {}),
        hasEma: recipe.training.ema !== undefined,
      });
      // The EMA exists once training started: before, only the generator's grid.
      return sendSamples(true);
    }
    case "start": {
      const s = requireSession();
      lastSamples = performance.now();
      void s.fit().then(
        async (result) => {
          post({ type: "done", status: result.status, step: result.step });
          await sendSamples(true);
        },
        (e: unknown) => fail(e),
      );
      return;
    }
    case "pause": {
      const s = requireSession();
      await s.pause();
      post({ type: "paused", step: s.step });
      return sendSamples(true);
    }
    case "resume":
      requireSession().resume();
      post({ type: "resumed" });
      return;
    case "samples":
      return sendSamples(true);
    case "save": {
      const saved = await requireSession().save({ ema: request.ema, backend: tf.getBackend() });
      post({ type: "saved", ...saved }, [saved.weights.buffer as ArrayBuffer]);
      return;
    }
    case "close":
      await closeSession();
      post({ type: "closed" });
      return;
    case "discard":
      await closeSession();
      await new Promise<void>((resolve, reject) => {
        const r = indexedDB.deleteDatabase(databaseOf(request.id));
        r.onsuccess = () => resolve();
        r.onerror = () => reject(r.error);
        r.onblocked = () => resolve();
      });
      post({ type: "closed" });
      return;
  }
}

async function closeSession(): Promise<void> {
  if (session) {
    await session.stop();
    session.dispose();
    session = undefined;
  }
  if (store) {
    await store.close();
    store = undefined;
  }
}

function requireSession(): TrainingSession {
  if (!session) throw new Error("no run is open");
  return session;
}

function fail(e: unknown): void {
  console.error(e);
  post({ type: "error", message: e instanceof Error ? e.message : String(e) });
}

// One request at a time, in order (a pause waits for its checkpoint before the next request is read).
let queue = Promise.resolve();
self.onmessage = (event: MessageEvent<Request>) => {
  queue = queue.then(() => handle(event.data)).catch(fail);
};
