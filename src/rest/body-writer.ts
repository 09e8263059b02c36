/**
 * A body written as bytes (pure): text, integers and repeats of bytes already written go into one
 * scratch buffer, and the answer is one copy of what was written. A month's answer repeats its
 * link base 30 times and holds 30 numbers; written this way it makes no string per link or field,
 * no joined string to flatten and encode, and no garbage but the answer itself.
 *
 * One writer per process is enough: a body is written from start to take() without yielding.
 */

/** What the scratch buffer starts at, and what it is brought back to after a larger answer. */
const SCRATCH_BYTES = 16 * 1024;

export class BodyWriter {
  #buf = Buffer.allocUnsafe(SCRATCH_BYTES);
  #at = 0;

  /** Bytes written so far: a position to repeat from (repeat()) or to go back to (rewind()). */
  get position(): number {
    return this.#at;
  }

  /** Any string, as UTF-8. Short ASCII strings are copied byte by byte (cheaper than a native call). */
  text(s: string): void {
    const n = s.length;
    this.#room(n * 3);
    const buf = this.#buf;
    let at = this.#at;
    if (n <= 64) {
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        buf[at++] = c;
      }
      if (i === n) {
        this.#at = at;
        return;
      }
      at = this.#at;
    }
    this.#at = at + buf.write(s, at, "utf8");
  }

  /** A number as JSON writes it: integers digit by digit, anything else as String() spells it. */
  number(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.text(String(n));
      return;
    }
    this.#room(17);
    const buf = this.#buf;
    if (n < 0) {
      buf[this.#at++] = 0x2d; // "-"
      n = -n;
    }
    let digits = 1;
    for (let p = 10; p <= n; p *= 10) digits++;
    let at = this.#at + digits;
    this.#at = at;
    do {
      const q = Math.floor(n / 10);
      buf[--at] = 0x30 + (n - q * 10);
      n = q;
    } while (n > 0);
  }

  /** One byte (an ASCII character code). */
  byte(c: number): void {
    this.#room(1);
    this.#buf[this.#at++] = c;
  }

  /** The bytes from `start` to `end` (both earlier positions) again, at the end. */
  repeat(start: number, end: number): void {
    this.#room(end - start);
    this.#buf.copyWithin(this.#at, start, end);
    this.#at += end - start;
  }

  /** Forgets what was written after `position`. */
  rewind(position: number): void {
    this.#at = position;
  }

  /** A copy of everything written (the writer is then empty again). */
  take(): Buffer {
    const out = Buffer.allocUnsafe(this.#at);
    this.#buf.copy(out, 0, 0, this.#at);
    this.#at = 0;
    if (this.#buf.length > SCRATCH_BYTES) this.#buf = Buffer.allocUnsafe(SCRATCH_BYTES);
    return out;
  }

  #room(n: number): void {
    if (this.#at + n <= this.#buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.#buf.length * 2, this.#at + n));
    this.#buf.copy(next, 0, 0, this.#at);
    this.#buf = next;
  }
}
