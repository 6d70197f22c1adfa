import * as v from "valibot";

// Helpers for the valibot schemas of the files the toolkit reads (state.json, config.json, metrics.jsonl here;
// recipes, model specs and web manifests in @gan/recipes). Every file is untrusted input: it is validated before
// any value is used, and a failure names the file, the path of the first bad value and what was expected.

/** A file's content that does not match its schema. `file` and `path` say where (`path` is dotted, "" at the top). */
export class InvalidFileError extends Error {
  override name = "InvalidFileError";
  constructor(
    readonly file: string,
    readonly path: string,
    readonly detail: string,
  ) {
    super(`${file}: ${path ? `${path}: ` : ""}${detail}`);
  }
}

/** Upper bounds on the sizes a file can set outside a model (see `MODEL_LIMITS` of `@gan/layers` for models). */
export const FILE_LIMITS = {
  /** Images per batch. */
  maxBatchSize: 4096,
  /** Rows of fixed noise for sample grids. */
  maxFixedNoiseSize: 4096,
  /** Epochs of a run. */
  maxEpochs: 1_000_000,
  /** D steps per G step. */
  maxDSteps: 100,
} as const;

/** The message of a value issue: `expected <what>, got <value>`. */
const expected = (what: string) => (issue: v.BaseIssue<unknown>) => `expected ${what}, got ${issue.received}`;

/** An integer in `[min, max]`, with the message `expected an integer in [min, max], got …`. */
export function intIn(min: number, max: number) {
  const message = expected(`an integer in [${min}, ${max}]`);
  return v.pipe(v.number(message), v.integer(message), v.minValue(min, message), v.maxValue(max, message));
}

/** A non-negative safe integer (a step, an epoch, a counter). */
export function count() {
  return intIn(0, Number.MAX_SAFE_INTEGER);
}

/** A finite number in `[min, max]` (bounds included unless `open` names them). */
export function numberIn(min: number, max: number, open: { min?: boolean; max?: boolean } = {}) {
  const what = `a number in ${open.min ? "(" : "["}${min}, ${max}${open.max ? ")" : "]"}`;
  const message = expected(what);
  return v.pipe(
    v.number(message),
    v.check((n) => Number.isFinite(n) && (open.min ? n > min : n >= min) && (open.max ? n < max : n <= max), message),
  );
}

/** A finite number. */
export function finite() {
  const message = expected("a finite number");
  return v.pipe(v.number(message), v.finite(message));
}

/** A string. */
export function text() {
  return v.string(expected("a string"));
}

/**
 * `schema` (an object schema) for a whole file: valibot's object schemas take arrays too, so anything but a plain
 * object is refused first (`expected an object, got Array`).
 */
export function fileObject<S extends v.GenericSchema>(schema: S) {
  return v.pipe(
    v.custom<v.InferInput<S>>((x) => typeof x === "object" && x !== null && !Array.isArray(x), expected("an object")),
    schema,
  );
}

/** Formats valibot's first issue as `path: expected …, got …`; the path is dotted (`extra.model.width`). */
export function describeIssue(issue: v.BaseIssue<unknown>): { path: string; detail: string } {
  const path = v.getDotPath(issue) ?? "";
  if (issue.message.startsWith("expected ")) return { path, detail: issue.message };
  if (issue.kind === "schema" && issue.received === "undefined" && /object/.test(issue.type)) {
    return { path, detail: `missing (expected a value)` };
  }
  return { path, detail: `expected ${issue.expected ?? "something else"}, got ${issue.received}` };
}

/**
 * Validates `value` (already parsed JSON) against `schema` and returns the schema's output, or throws an
 * {@link InvalidFileError} naming `file`, the path of the first failing value and what was expected.
 */
export function validateFile<S extends v.GenericSchema>(schema: S, value: unknown, file: string): v.InferOutput<S> {
  const result = v.safeParse(schema, value, { abortEarly: true });
  if (result.success) return result.output;
  const { path, detail } = describeIssue(result.issues[0]);
  throw new InvalidFileError(file, path, detail);
}

/** Parses `text` as JSON and validates it ({@link validateFile}); text that is not JSON is an error naming `file`. */
export function parseJsonFile<S extends v.GenericSchema>(schema: S, text: string, file: string): v.InferOutput<S> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new InvalidFileError(file, "", `not valid JSON (${(e as Error).message})`);
  }
  return validateFile(schema, value, file);
}
