import { RandomStateSchema, fileObject, text } from "@gan/trainer";
import * as v from "valibot";

/** The schema of a checkpoint's `diff-augment.json`: DiffAugment's policy and the state of its random stream. */
export const DiffAugmentStateSchema = fileObject(v.object({ policy: v.optional(text()), random: RandomStateSchema }));
