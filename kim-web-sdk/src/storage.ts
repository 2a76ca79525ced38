/** Where a client resumes: the last sequence it delivered and the epoch of the inbox that sequence belongs to. */
export interface SavedPosition {
  lastSequence: number;
  epoch: string;
}

/**
 * Keeps the position of each user's inbox between page loads, so a reload resumes instead of replaying the whole
 * inbox. Keys are `tenant/userId`. Calls are synchronous and must not throw (a failing store should log and move
 * on). Implementations: {@link MemoryStorage} (the default) and {@link LocalStorageAdapter}.
 */
export interface KimStorage {
  load(key: string): SavedPosition | undefined;
  save(key: string, position: SavedPosition): void;
}

/** Keeps positions in memory: they last as long as the page. */
export class MemoryStorage implements KimStorage {
  private readonly map = new Map<string, SavedPosition>();

  load(key: string): SavedPosition | undefined {
    const p = this.map.get(key);
    return p && { ...p };
  }

  save(key: string, position: SavedPosition): void {
    this.map.set(key, { ...position });
  }
}

/** The subset of the Web Storage API the adapter uses (`window.localStorage`, `sessionStorage`, or a test double). */
export interface WebStorageLike {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Keeps positions in `localStorage` (or any Web Storage), as JSON under `prefix + key`. */
export class LocalStorageAdapter implements KimStorage {
  constructor(
    private readonly storage: WebStorageLike = globalThis.localStorage,
    private readonly prefix = "kim:position:",
  ) {
    if (!storage) throw new TypeError("LocalStorageAdapter: no storage (expected: window.localStorage or similar)");
  }

  load(key: string): SavedPosition | undefined {
    try {
      const raw = this.storage.getItem(this.prefix + key);
      if (raw === null) return undefined;
      const v = JSON.parse(raw) as Partial<SavedPosition>;
      if (typeof v.lastSequence !== "number" || !(v.lastSequence >= 0) || typeof v.epoch !== "string") return undefined;
      return { lastSequence: v.lastSequence, epoch: v.epoch };
    } catch {
      return undefined;
    }
  }

  save(key: string, position: SavedPosition): void {
    try {
      this.storage.setItem(this.prefix + key, JSON.stringify(position));
    } catch {
      // quota exceeded or storage disabled: the next load replays more, nothing is lost
    }
  }
}
