/**
 * Exponential backoff with full jitter: the delay before attempt `n` (0-based) is uniformly random in
 * `[0, min(maxMs, initialMs * 2^n)]`, so that many clients dropped at once do not come back at once.
 */
export class Backoff {
  constructor(
    readonly initialMs: number,
    readonly maxMs: number,
    private readonly random: () => number,
  ) {
    if (!(initialMs > 0)) throw new RangeError(`backoff initialMs: ${initialMs} (expected: > 0)`);
    if (!(maxMs >= initialMs)) throw new RangeError(`backoff maxMs: ${maxMs} (expected: >= initialMs ${initialMs})`);
  }

  /** The upper bound of the delay before attempt `n`. */
  capMs(n: number): number {
    return Math.min(this.maxMs, this.initialMs * Math.pow(2, Math.min(n, 30)));
  }

  /** A random delay before attempt `n`. */
  delayMs(n: number): number {
    return Math.floor(this.random() * this.capMs(n));
  }
}
