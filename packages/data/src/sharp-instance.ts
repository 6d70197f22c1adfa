import sharp from "sharp";

let configured = false;

/**
 * sharp, with libvips' operation cache turned off on first use. The cache keeps recently decoded files and
 * operations (by default up to 50 MB, 20 open files and 100 operations); a training loop that decodes the same
 * images every epoch gains nothing from it, and the process's resident memory grew with it over long runs.
 */
export function sharpWithoutCache(): typeof sharp {
  if (!configured) {
    sharp.cache(false);
    configured = true;
  }
  return sharp;
}
