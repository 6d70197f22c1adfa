import { InvalidArgumentError } from "commander";

/** Commander parser for an integer ≥ `min`. */
export function int(min: number) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min) {
      throw new InvalidArgumentError(`expected an integer >= ${min}, got '${value}'`);
    }
    return n;
  };
}

/** Commander parser for a finite number > 0. */
export function positive(value: string): number {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`expected a number > 0, got '${value}'`);
  return n;
}

/**
 * Commander parser for a number in `[min, max]` (open at `min` with `minOpen`, at `max` with `maxOpen`), for fractions such as
 * `--ema-decay` and `--beta1`.
 */
export function numberIn(min: number, max: number, options: { minOpen?: boolean; maxOpen?: boolean } = {}) {
  const range = `${options.minOpen ? "(" : "["}${min}, ${max}${options.maxOpen ? ")" : "]"}`;
  return (value: string): number => {
    const n = Number(value);
    const inRange = (options.minOpen ? n > min : n >= min) && (options.maxOpen ? n < max : n <= max);
    if (value.trim() === "" || !Number.isFinite(n) || !inRange) throw new InvalidArgumentError(`expected a number in ${range}, got '${value}'`);
    return n;
  };
}

/** Commander parser for a comma-separated list of integers ≥ 0 (`7,8`). */
export function intList(value: string): number[] {
  const parts = value.split(",").map((s) => s.trim());
  if (parts.some((p) => !/^\d+$/.test(p))) throw new InvalidArgumentError(`expected comma-separated integers such as 7,8, got '${value}'`);
  return parts.map(Number);
}

/** Commander parser for a comma-separated list of integers (`3,4`) or `none` (the empty list). */
export function layerListOrNone(value: string): number[] {
  return value.trim() === "none" ? [] : intList(value);
}

/** Commander parser for one of `choices`. */
export function oneOf<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    if (!(choices as readonly string[]).includes(value)) {
      throw new InvalidArgumentError(`expected one of ${choices.join(", ")}, got '${value}'`);
    }
    return value as T;
  };
}
