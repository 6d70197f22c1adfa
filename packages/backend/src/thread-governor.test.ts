import { describe, expect, it } from "vitest";
import { median, ThreadGovernor, type ThreadGovernorOptions, type ThreadProbe } from "./thread-governor";

/** A governor on a fake clock: every step advances it by the step's duration. */
function governed(options: Partial<ThreadGovernorOptions> = {}) {
  let clock = 0;
  const counts: number[] = [];
  const lines: string[] = [];
  let threads = options.initial ?? options.max ?? 2;
  const governor = new ThreadGovernor({
    max: 2,
    setThreads: (n) => {
      threads = n;
      counts.push(n);
    },
    log: (line) => lines.push(line),
    now: () => clock,
    firstProbeAfterSteps: 20, // the tests below count from step 20; the default (8) has its own test
    ...options,
  });
  /** Runs `n` steps whose duration depends on the threads in use (the fake machine). */
  const run = (n: number, stepMs: (threads: number) => number) => {
    for (let i = 0; i < n; i++) {
      const ms = stepMs(threads);
      clock += ms;
      governor.step(ms);
    }
  };
  return { governor, counts, lines, run, threads: () => threads };
}

const quiet = (t: number) => (t === 1 ? 800 : 450); // 2 threads win
const loaded = (t: number) => (t === 1 ? 900 : 1500); // another CPU-bound process: 1 thread wins

describe("ThreadGovernor", () => {
  it("medians", () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it("probes the other count once after the first steps and keeps the faster", () => {
    const g = governed();
    g.run(19, loaded);
    expect(g.counts).toEqual([]); // no probe before step 20
    g.run(1, loaded);
    expect(g.counts).toEqual([1]); // the probe starts: 1 thread for the next step
    g.run(8, loaded);
    expect(g.counts).toEqual([1, 2, 1, 2, 1, 2, 1, 2, 1]); // alternating, then 1 thread kept
    expect(g.governor.threads).toBe(1);
    expect(g.governor.probes).toEqual([{ step: 28, at: 20 * 1500 + 4 * 900 + 4 * 1500, from: 2, to: 1, fromMs: 1500, toMs: 900, switched: true }]);
    expect(g.lines).toEqual(["[@gan/backend] threads: 2 → 1 (step 1.50 s → 900 ms; other processes are using the CPUs)"]);
  });

  it("by default probes first after step 8, so a run on a busy machine loses at most ~16 steps", () => {
    const g = governed({ firstProbeAfterSteps: undefined });
    g.run(7, loaded);
    expect(g.counts).toEqual([]);
    g.run(9, loaded);
    expect(g.counts).toEqual([1, 2, 1, 2, 1, 2, 1, 2, 1]);
    expect(g.governor.probes).toEqual([expect.objectContaining({ step: 16, from: 2, to: 1, switched: true })]);
  });

  it("goes back after a probe that was not faster, and tells nothing", () => {
    const g = governed();
    g.run(28, (t) => (t === 1 ? 500 : 450)); // 1 thread a little slower
    expect(g.counts).toEqual([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(g.governor.threads).toBe(2);
    expect(g.governor.probes).toEqual([expect.objectContaining({ step: 28, from: 2, to: 1, fromMs: 450, toMs: 500, switched: false })]);
    expect(g.lines).toEqual([]);
  });

  it("cuts a probe short after 2 pairs of steps when the other count is plainly slower", () => {
    const g = governed();
    g.run(24, quiet); // 800 ms at 1 thread against 450 ms: more than a quarter slower, twice
    expect(g.counts).toEqual([1, 2, 1, 2]);
    expect(g.governor.probes).toEqual([expect.objectContaining({ step: 24, fromMs: 450, toMs: 800, switched: false })]);
  });

  it("probes again every 60 s of training, so a run follows the load both ways", () => {
    const g = governed();
    g.run(28, loaded); // → 1 thread at step 28
    expect(g.threads()).toBe(1);
    g.run(200, (t) => quiet(t)); // the other process ended: the next probe (60 s later) finds 2 threads faster
    expect(g.governor.threads).toBe(2);
    const up = g.governor.probes.find((p) => p.to === 2);
    expect(up).toMatchObject({ from: 1, fromMs: 800, toMs: 450, switched: true });
    expect(g.lines.at(-1)).toBe("[@gan/backend] threads: 1 → 2 (step 800 ms → 450 ms; the CPUs are free again)");
    g.run(200, loaded); // busy again
    expect(g.governor.threads).toBe(1);
    expect(g.lines).toHaveLength(3);
  });

  it("spaces the probes by the clock: 60 s with short steps, twice as long after each probe that kept the count, up to 4×", () => {
    const g = governed();
    g.run(3000, quiet); // 3000 steps of 450 ms ≈ 22 minutes
    const gaps = g.governor.probes.slice(1).map((p, i) => (p.at - g.governor.probes[i].at) / 1000);
    expect(gaps.length).toBeGreaterThanOrEqual(5);
    // Each gap: the wait, then the step that crosses it, then the probe's 2 pairs of steps (2.5 s).
    const waits = [60, 120, 240, 240, 240]; // the first probe (after step 20) does not count
    waits.forEach((wait, i) => {
      expect(gaps[i]).toBeGreaterThanOrEqual(wait);
      expect(gaps[i]).toBeLessThan(wait + 4);
    });
    expect(g.governor.threads).toBe(2);
  });

  it("resets the wait after a switch", () => {
    const g = governed();
    g.run(1000, quiet); // a few kept probes: the wait is 240 s by now
    expect(g.governor.probes.length).toBeGreaterThanOrEqual(4);
    for (let i = 0; i < 1000 && g.governor.threads === 2; i++) g.run(1, loaded); // load arrives: within 240 s a probe switches to 1
    const down = g.governor.probes.at(-1);
    expect(down).toMatchObject({ from: 2, to: 1, switched: true });
    g.run(200, quiet); // load gone: the next probe comes 72 s after the switch (4 steps of 900 ms are 5% of 72 s)
    const up = g.governor.probes[g.governor.probes.indexOf(down as ThreadProbe) + 1];
    expect(up).toMatchObject({ from: 1, to: 2, switched: true });
    expect((up.at - (down as ThreadProbe).at) / 1000).toBeLessThan(82);
  });

  it("probes less often when steps are long, keeping probing to ~5% of the time", () => {
    const g = governed();
    const long = (t: number) => (t === 1 ? 8_000 : 6_000); // SAGAN-sized steps
    g.run(400, long); // 400 × 6 s = 40 min
    const gaps = g.governor.probes.slice(1).map((p, i) => (p.at - g.governor.probes[i].at) / 1000);
    // 4 probe steps of 6 s are 24 s: at least 480 s between probes, and at most 10 minutes after kept ones.
    expect(gaps[0]).toBeGreaterThanOrEqual(480);
    expect(gaps[0]).toBeLessThan(480 + 40);
    for (const gap of gaps.slice(1)) {
      expect(gap).toBeGreaterThanOrEqual(600);
      expect(gap).toBeLessThan(600 + 40);
    }
    expect(g.governor.threads).toBe(2);
  });

  it("keeps the current count unless the other is faster by the margin", () => {
    const g = governed();
    g.run(28, (t) => (t === 1 ? 980 : 1000)); // 2% faster at 1 thread: noise, not a reason to switch
    expect(g.governor.threads).toBe(2);
    expect(g.governor.probes[0].switched).toBe(false);
  });

  it("leaves the warm-up steps out and is robust to one slow step in a probe", () => {
    const g = governed();
    let step = 0;
    g.run(28, (t) => {
      step++;
      if (step <= 3) return 20_000; // compiling kernels
      if (step === 22) return 30_000; // a probe step delayed by something else
      return loaded(t);
    });
    expect(g.governor.probes[0]).toMatchObject({ fromMs: 1500, toMs: 900, switched: true });
    expect(g.governor.threads).toBe(1);
  });

  it("ignores non-finite durations and needs max ≥ 2", () => {
    const g = governed();
    g.governor.step(Number.NaN);
    g.governor.step(-1);
    expect(g.counts).toEqual([]);
    expect(() => new ThreadGovernor({ max: 1, setThreads: () => {} })).toThrow(/max must be at least 2/);
  });

  it("is a trainer callback fed by stepMs", () => {
    const g = governed({ firstProbeAfterSteps: 5, warmupSteps: 0 });
    const cb = g.governor.callback;
    expect(cb.name).toBe("wasm-threads");
    for (let i = 0; i < 5; i++) cb.onBatchEnd({}, { stepMs: 100 });
    expect(g.governor.isProbing).toBe(true);
    expect(g.counts).toEqual([1]);
  });
});
