import { gzipSync } from "node:zlib";
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { Backoff } from "../../src/backoff.js";
import { Sequencer } from "../../src/sequencer.js";

describe("Sequencer", () => {
  it("offer_outOfOrderAndRepeated_deliversAscendingOnce", () => {
    const out: number[] = [];
    const s = new Sequencer<string>(0, 10);
    for (const n of [2, 1, 1, 4, 3, 2, 5]) s.offer(n, `v${n}`, (seq) => out.push(seq));
    expect(out).toEqual([1, 2, 3, 4, 5]);
    expect(s.hasGap).toBe(false);
  });

  it("offer_bufferFull_keepsTheEntriesClosestToTheGap", () => {
    const out: number[] = [];
    const s = new Sequencer<string>(0, 2);
    s.offer(5, "", () => undefined);
    s.offer(4, "", () => undefined);
    s.offer(3, "", () => undefined); // evicts 5
    expect(s.isFull).toBe(true);
    s.offer(1, "", (n) => out.push(n));
    s.offer(2, "", (n) => out.push(n));
    expect(out).toEqual([1, 2, 3, 4]);
  });
});

describe("Backoff", () => {
  it("delay_isWithinZeroAndTheCappedExponential", () => {
    let r = 0;
    const values = [0, 0.999999, 0.5];
    const b = new Backoff(500, 20_000, () => values[r++ % values.length]!);
    expect(b.capMs(0)).toBe(500);
    expect(b.capMs(3)).toBe(4_000);
    expect(b.capMs(10)).toBe(20_000);
    expect(b.capMs(1_000)).toBe(20_000);
    for (let n = 0; n < 12; n++) {
      const d = b.delayMs(n);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(b.capMs(n));
    }
    expect(() => new Backoff(0, 10, Math.random)).toThrow(RangeError);
  });
});

describe("browser bundle", () => {
  it("minifiedGzipped_isAtMost30KB", () => {
    const file = fileURLToPath(new URL("../../dist/browser/kim.min.js", import.meta.url));
    expect(existsSync(file), `${file} missing: run npm run build first`).toBe(true);
    const gz = gzipSync(readFileSync(file), { level: 9 }).length;
    expect(gz).toBeLessThanOrEqual(30 * 1024);
  });
});
