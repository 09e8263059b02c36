/**
 * Replay's line reader: bytes in, lines out, in constant memory. A line is held only up to
 * `maxBytes`; past that its bytes are handed to `onSkipped` (the chunk hash still sees them) and
 * dropped, and the line comes out as `{ tooLong }` when its newline arrives — so a 300 MB line
 * costs what one read buffer costs, not 300 MB (readline would build it whole first, and a string
 * past 512 MB throws). Lines end at `\n`; a `\r` before it is dropped (CRLF files). A UTF-8 byte
 * order mark at the very start is skipped: it is not part of the first line's JSON.
 */

export type Line = { text: string } | { tooLong: number };

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const NL = 0x0a;
const CR = 0x0d;

export interface LineReaderResult {
  /** True when the input began with a UTF-8 byte order mark (skipped). */
  bom: boolean;
}

/**
 * Yields every line of `input`. `maxBytes` is the longest line kept (without its line end).
 * `onSkipped` receives, in order, the bytes of each over-long line (none of which are kept).
 */
export async function* readLines(
  input: AsyncIterable<Buffer | string>,
  maxBytes: number,
  onSkipped: (bytes: Buffer) => void = () => {},
  result: LineReaderResult = { bom: false },
): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let held = 0;
  /** Bytes of the current line when it is over-long (then nothing of it is held). */
  let skipped = -1;
  let start = true;
  // ignoreBOM: keep a BOM inside the file as it is (only the one at the very start is skipped, above).
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

  const take = (piece: Buffer) => {
    if (piece.length === 0) return;
    if (skipped >= 0) {
      skipped += piece.length;
      onSkipped(piece);
      return;
    }
    if (held + piece.length > maxBytes + 1) {
      // +1: a trailing \r of a CRLF line is not part of it; decide only once it is surely too long.
      for (const p of parts) onSkipped(p);
      onSkipped(piece);
      skipped = held + piece.length;
      parts = [];
      held = 0;
      return;
    }
    parts.push(piece);
    held += piece.length;
  };

  const finish = (): Line => {
    if (skipped >= 0) {
      const n = skipped;
      skipped = -1;
      return { tooLong: n };
    }
    let bytes = parts.length === 1 ? (parts[0] as Buffer) : Buffer.concat(parts, held);
    parts = [];
    held = 0;
    if (bytes.length > 0 && bytes[bytes.length - 1] === CR) bytes = bytes.subarray(0, bytes.length - 1);
    if (bytes.length > maxBytes) return { tooLong: bytes.length };
    return { text: decoder.decode(bytes) };
  };

  for await (const chunk of input) {
    let buf = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
    if (start) {
      // A BOM split across the first reads is not worth handling: read streams hand over ≥ 3 bytes.
      if (buf.length >= 3 && buf.subarray(0, 3).equals(BOM)) {
        buf = buf.subarray(3);
        result.bom = true;
      }
      start = buf.length === 0 && !result.bom;
    }
    let from = 0;
    for (;;) {
      const nl = buf.indexOf(NL, from);
      if (nl < 0) {
        take(buf.subarray(from));
        break;
      }
      take(buf.subarray(from, nl));
      yield finish();
      from = nl + 1;
    }
  }
  if (held > 0 || skipped >= 0) yield finish();
}
