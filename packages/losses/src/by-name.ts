import type { GanLoss } from "@gan/spec";
import { bceLoss } from "./bce";
import { hingeLoss } from "./hinge";

const FACTORIES: Record<string, () => GanLoss> = {
  bce: () => bceLoss(),
  "bce-minimax": () => bceLoss({ generator: "minimax" }),
  hinge: () => hingeLoss(),
};

/** The names {@link lossByName} accepts: each built-in loss's `name`. */
export const LOSS_NAMES: readonly string[] = Object.keys(FACTORIES);

/**
 * The built-in loss whose `name` is `name` (`"bce"`, `"bce-minimax"`, `"hinge"`), for configs and the CLI,
 * which record a loss by its name.
 */
export function lossByName(name: string): GanLoss {
  const factory = Object.hasOwn(FACTORIES, name) ? FACTORIES[name] : undefined;
  if (!factory) throw new Error(`Unknown loss '${name}': expected one of ${LOSS_NAMES.join(", ")}`);
  return factory();
}
