/**
 * Turns inbox entries that arrive in any order, possibly twice (pushes, sync pages and own sends interleaved), into
 * one gap-free, duplicate-free, ascending stream. An entry is delivered only if its sequence is the last delivered
 * one plus one; an older one is dropped; a newer one waits in a bounded buffer until the gap before it is filled.
 */
export class Sequencer<T> {
  private readonly ahead = new Map<number, T>();

  constructor(
    private lastSeq: number,
    private readonly maxBuffered: number,
  ) {}

  /** The last delivered sequence. */
  get last(): number {
    return this.lastSeq;
  }

  /** `true` if entries wait behind a gap. */
  get hasGap(): boolean {
    return this.ahead.size > 0;
  }

  get isFull(): boolean {
    return this.ahead.size >= this.maxBuffered;
  }

  /** Offers one entry; returns how many entries were delivered to `sink`. */
  offer(sequence: number, value: T, sink: (sequence: number, value: T) => void): number {
    if (sequence <= this.lastSeq) return 0;
    if (sequence === this.lastSeq + 1) {
      this.lastSeq = sequence;
      sink(sequence, value);
      return 1 + this.drain(sink);
    }
    if (!this.ahead.has(sequence)) {
      if (this.isFull) {
        const highest = Math.max(...this.ahead.keys());
        if (sequence > highest) return 0; // the entries closest to the gap stay; the rest comes with the sync
        this.ahead.delete(highest);
      }
      this.ahead.set(sequence, value);
    }
    return 0;
  }

  /** Delivers the buffered entries that follow the last delivered one. */
  drain(sink: (sequence: number, value: T) => void): number {
    let n = 0;
    for (;;) {
      const next = this.ahead.get(this.lastSeq + 1);
      if (next === undefined) break;
      this.ahead.delete(this.lastSeq + 1);
      this.lastSeq++;
      n++;
      sink(this.lastSeq, next);
    }
    return n;
  }

  /** Moves past an unrecoverable range (expired entries) or back to a new start (an inbox reset). */
  reset(last: number): void {
    this.lastSeq = last;
    for (const k of [...this.ahead.keys()]) if (k <= last) this.ahead.delete(k);
  }

  /** Forgets every buffered entry. */
  clear(): void {
    this.ahead.clear();
  }
}
