/** What went wrong, as a stable code a program can test. */
export type DataErrorCode =
  /** The path does not exist. */
  | "NOT_FOUND"
  /** A folder was expected but the path is a file (or the other way round). */
  | "NOT_A_DIRECTORY"
  /** The folder holds no files at all. */
  | "EMPTY_FOLDER"
  /** The folder holds files, but none with an image extension. */
  | "NO_IMAGES"
  /** One or more files could not be decoded (see {@link DataError.files}). */
  | "INVALID_IMAGE"
  /** An image's size differs from the dataset's, and no `size` was given to resize to. */
  | "SIZE_MISMATCH"
  /** Labels were asked for but an image is not inside a class sub-folder. */
  | "NO_CLASS_FOLDER"
  /** A data set's files are not installed (the message names what to install). */
  | "MISSING_DATASET"
  /** An option is out of range or inconsistent. */
  | "BAD_OPTION";

/** A file that could not be used, and why. */
export interface InvalidFile {
  /** The file's path. */
  file: string;
  /** What is wrong with it, in words (e.g. "truncated file", "not an image"). */
  reason: string;
}

/**
 * The one error type of `@gan/data`: its message names the file(s) and what is wrong, `code` says which
 * kind of problem it is, and `files` lists every offending file when there are several.
 */
export class DataError extends Error {
  override readonly name = "DataError";
  /** Which kind of problem. */
  readonly code: DataErrorCode;
  /** The file or folder at fault, when there is one. */
  readonly file?: string;
  /** Every invalid file, for {@link DataErrorCode} `INVALID_IMAGE` raised by a validation pass. */
  readonly files: readonly InvalidFile[];

  constructor(code: DataErrorCode, message: string, options: { file?: string; files?: InvalidFile[]; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.file = options.file;
    this.files = options.files ?? (options.file ? [{ file: options.file, reason: message }] : []);
  }
}
