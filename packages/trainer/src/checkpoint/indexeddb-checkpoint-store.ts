import {
  type CheckpointFiles,
  type CheckpointStore,
  STATE_FILE,
  checkCheckpointFileName,
  checkCheckpointName,
  checkpointStep,
  namesToPrune,
  sortByStep,
} from "./checkpoint-store";

/** The part of the DOM's `IDBFactory` the store uses (declared here so the package needs no DOM typings). */
export interface IdbFactoryLike {
  open(name: string, version?: number): IdbOpenRequestLike;
}

interface IdbRequestLike<T = unknown> {
  result: T;
  error: unknown;
  onsuccess: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

interface IdbOpenRequestLike extends IdbRequestLike<IdbDatabaseLike> {
  onupgradeneeded: ((event: unknown) => void) | null;
}

interface IdbDatabaseLike {
  readonly objectStoreNames: { contains(name: string): boolean };
  createObjectStore(name: string): unknown;
  transaction(stores: string | string[], mode: "readonly" | "readwrite"): IdbTransactionLike;
  close(): void;
}

interface IdbTransactionLike {
  objectStore(name: string): IdbObjectStoreLike;
  error: unknown;
  oncomplete: ((event: unknown) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onabort: ((event: unknown) => void) | null;
  abort(): void;
}

interface IdbObjectStoreLike {
  put(value: unknown, key: string): IdbRequestLike;
  get(key: string): IdbRequestLike;
  delete(key: string): IdbRequestLike;
  getAllKeys(): IdbRequestLike<unknown[]>;
}

/** Options of {@link IndexedDbCheckpointStore}. */
export interface IndexedDbCheckpointStoreOptions {
  /** The database, one per run (e.g. `"gan-run-sagan-1"`). */
  database: string;
  /** The IndexedDB factory (default `globalThis.indexedDB`; pass `fake-indexeddb`'s in Node tests). */
  indexedDB?: IdbFactoryLike;
}

const CHECKPOINTS = "checkpoints";
const POINTERS = "pointers";
const LATEST = "latest";

/** A checkpoint as stored: the state as JSON text (as the file store's `state.json`), the files as bytes. */
interface StoredCheckpoint {
  state: string;
  files: Record<string, Uint8Array>;
}

/**
 * A {@link CheckpointStore} in the browser's IndexedDB (also in Web Workers): one database per run, holding
 * each checkpoint as one record and the name of the latest in another. A checkpoint and the `latest` pointer
 * are written in one transaction, and pruning deletes in another, so a closed tab or a crash leaves the
 * previous state whole: IndexedDB transactions commit entirely or not at all.
 */
export class IndexedDbCheckpointStore implements CheckpointStore {
  readonly database: string;
  private readonly factory: IdbFactoryLike;
  private opened: Promise<IdbDatabaseLike> | undefined;

  constructor(options: IndexedDbCheckpointStoreOptions) {
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IdbFactoryLike }).indexedDB;
    if (!factory) throw new Error("IndexedDbCheckpointStore: no IndexedDB here (globalThis.indexedDB); pass options.indexedDB");
    if (!options.database) throw new Error("IndexedDbCheckpointStore: option 'database' is required");
    this.database = options.database;
    this.factory = factory;
  }

  async write(name: string, content: CheckpointFiles): Promise<void> {
    checkCheckpointName(name, "IndexedDbCheckpointStore.write");
    for (const file of Object.keys(content.files)) checkCheckpointFileName(file, "IndexedDbCheckpointStore.write");
    const record: StoredCheckpoint = { state: JSON.stringify(content.state), files: { ...content.files } };
    await this.transact("readwrite", (checkpoints, pointers) => {
      checkpoints.put(record, name);
      pointers.put(name, LATEST);
    });
  }

  async read<S = unknown>(name: string): Promise<CheckpointFiles<S>> {
    const record = await this.get<StoredCheckpoint>(CHECKPOINTS, name);
    if (!record) throw new Error(`${this.locate(name)} is not a checkpoint`);
    const files: Record<string, Uint8Array> = {};
    for (const [file, bytes] of Object.entries(record.files)) files[file] = new Uint8Array(bytes);
    let state: S;
    try {
      state = JSON.parse(record.state) as S;
    } catch (e) {
      throw new Error(`${this.locate(name)}/${STATE_FILE}: not valid JSON (${(e as Error).message})`);
    }
    return { state, files };
  }

  async latest(): Promise<string | undefined> {
    const [pointer, names] = await Promise.all([this.get<string>(POINTERS, LATEST), this.list()]);
    return pointer !== undefined && names.includes(pointer) ? pointer : names[names.length - 1];
  }

  async list(): Promise<string[]> {
    let keys: unknown[] = [];
    await this.transact("readonly", (checkpoints) => {
      const request = checkpoints.getAllKeys();
      request.onsuccess = () => {
        keys = request.result;
      };
    });
    return sortByStep(keys.filter((k): k is string => typeof k === "string" && checkpointStep(k) !== undefined));
  }

  async prune(keep: number): Promise<string[]> {
    const doomed = namesToPrune(await this.list(), keep, await this.latest());
    if (doomed.length === 0) return doomed;
    await this.transact("readwrite", (checkpoints) => {
      for (const name of doomed) checkpoints.delete(name);
    });
    return doomed;
  }

  locate(name: string): string {
    return `indexeddb://${this.database}/${name}`;
  }

  /** Closes the database connection (a later call opens it again). */
  async close(): Promise<void> {
    const db = this.opened;
    this.opened = undefined;
    if (db) (await db).close();
  }

  private open(): Promise<IdbDatabaseLike> {
    this.opened ??= new Promise((resolve, reject) => {
      const request = this.factory.open(this.database, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        if (!db.objectStoreNames.contains(CHECKPOINTS)) db.createObjectStore(CHECKPOINTS);
        if (!db.objectStoreNames.contains(POINTERS)) db.createObjectStore(POINTERS);
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    return this.opened;
  }

  /** Runs `body` in one transaction over both object stores; resolves when it has committed. */
  private async transact(mode: "readonly" | "readwrite", body: (checkpoints: IdbObjectStoreLike, pointers: IdbObjectStoreLike) => void): Promise<void> {
    const db = await this.open();
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction([CHECKPOINTS, POINTERS], mode);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error);
      tx.onabort = () => reject(tx.error ?? new Error(`IndexedDbCheckpointStore: transaction on ${this.database} aborted`));
      try {
        body(tx.objectStore(CHECKPOINTS), tx.objectStore(POINTERS));
      } catch (e) {
        // Undo whatever the body queued before it threw.
        tx.abort();
        reject(e);
      }
    });
  }

  private async get<T>(store: string, key: string): Promise<T | undefined> {
    let value: T | undefined;
    await this.transact("readonly", (checkpoints, pointers) => {
      const request = (store === CHECKPOINTS ? checkpoints : pointers).get(key);
      request.onsuccess = () => {
        value = request.result as T | undefined;
      };
    });
    return value;
  }
}
