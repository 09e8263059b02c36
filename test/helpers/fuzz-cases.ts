/**
 * A seeded generator of event-bus messages for fuzz tests: valid events in every accepted form,
 * interleaved with malformed ones, each labelled with what the service must do with it.
 */

/** mulberry32: a small seeded PRNG, so that a failing run can be replayed with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

export type Message = string | Buffer | Array<string | Buffer>;

export type Expected =
  | { kind: "pageview"; account: string; unique: boolean }
  | { kind: "order"; account: string; status: string }
  | { kind: "ignored" }
  | { kind: "dropped"; reason: string };

export interface FuzzCase {
  message: Message;
  expected: Expected;
  /** Which generator made it (for the test's report). */
  label: string;
}

const LIMIT = 64 * 1024;
export const GOOD_ACCOUNTS = ["acme", "beta.co", "x_y-z", "A9", "all-but-not", "v1.2.3", "a".repeat(128)];
/** Names outside [A-Za-z0-9._-]{1,128}: Redis key syntax, glob and hash-tag characters, spaces, unicode. */
export const BAD_NAMES = [
  "a:b",
  "track:acme",
  "a*",
  "*",
  "a?b",
  "a{b}",
  "{tag}",
  "a b",
  " acme",
  "acme\n",
  "a\tb",
  "ümlaut",
  "名前",
  "emoji😀",
  "zero\u200bwidth",
  "a\u0000b",
  "a/b",
  "a\\b",
  "x".repeat(129),
];

export function generateCases(random: () => number, n: number, opts: { megabyteFrames: number }): FuzzCase[] {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const int = (lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
  /** Bytes that are neither a space nor `{`, nor valid UTF-8 on their own: never JSON. */
  const junk = (len: number) => {
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = 0x80 + Math.floor(random() * 0x80);
    return b;
  };
  const anyBytes = (len: number) => {
    const b = Buffer.alloc(len);
    for (let i = 0; i < len; i++) b[i] = Math.floor(random() * 0x100);
    return b;
  };
  const line = (doc: unknown, topic = "pageview") => `${topic} ${JSON.stringify(doc)}`;
  const drop = (label: string, reason: string, message: Message): FuzzCase => ({
    label,
    message,
    expected: { kind: "dropped", reason },
  });

  const valid: Array<() => FuzzCase> = [
    () => {
      const account = pick(GOOD_ACCOUNTS);
      const unq = pick<unknown>(["1", 1, true, "0", 0, false, "yes", null, undefined]);
      const unique = unq === "1" || unq === 1 || unq === true;
      const data = { account, ...(unq === undefined ? {} : { unq }), note: "ünïcödé, spaces and : * { are fine here" };
      const doc = { type: "pageview", time: pick(["2013-09-05T16:07:00Z", 1378397220, "nonsense", null]), data };
      // Every accepted form: `topic json`, [topic, json], bare JSON, bare JSON after whitespace;
      // the topic word is not what decides the type.
      const message = pick<() => Message>([
        () => line(doc),
        () => line(doc, pick(["order", "x", "名前"])),
        () => ["pageview", JSON.stringify(doc)],
        () => JSON.stringify(doc),
        () => ` \n\t${JSON.stringify(doc)}`,
      ])();
      return { label: "valid pageview", message, expected: { kind: "pageview", account, unique } };
    },
    () => {
      const account = pick(GOOD_ACCOUNTS);
      const status = pick<unknown>(["paid", "open", "", null, undefined, 42, "s".repeat(128), "a:b c*{}"]);
      const stored =
        status === undefined || status === null || status === ""
          ? "unknown"
          : typeof status === "number"
            ? String(status)
            : (status as string);
      const doc = { type: "order", data: { account, ...(status === undefined ? {} : { status }) } };
      return {
        label: "valid order",
        message: line(doc, "order"),
        expected: { kind: "order", account, status: stored },
      };
    },
  ];

  const bad: Array<() => FuzzCase> = [
    () => ({
      label: "untracked type",
      message: line({ type: "click", data: { account: "acme" } }),
      expected: { kind: "ignored" },
    }),
    () => drop("random bytes", "bad_json", junk(int(1, 300))),
    () => drop("topic + random bytes", "bad_json", Buffer.concat([Buffer.from("pageview "), junk(int(0, 300))])),
    () => drop("empty frame", "bad_json", ""),
    () => drop("topic only", "bad_json", "pageview"),
    () => {
      const full = line({ type: "pageview", data: { account: "acme", unq: "1" } });
      return drop("truncated JSON", "bad_json", full.slice(0, int(9, full.length - 1)));
    },
    () => drop("two frames, junk JSON", "bad_json", ["pageview", junk(int(1, 100))]),
    () => drop("JSON with trailing garbage", "bad_json", `${line({ type: "pageview", data: { account: "acme" } })}}`),
    () =>
      drop(
        "3-8 frames of junk",
        "bad_frames",
        Array.from({ length: int(3, 8) }, () => anyBytes(int(0, 200))),
      ),
    () =>
      drop("3 frames, valid JSON inside", "bad_frames", [
        "pageview",
        JSON.stringify({ type: "pageview", data: { account: "acme" } }),
        "",
      ]),
    () =>
      drop(
        "4 frames over 64 KiB",
        "too_large",
        Array.from({ length: 4 }, () => anyBytes(LIMIT / 4 + 1)),
      ),
    () => drop("just over 64 KiB", "too_large", padded(LIMIT + 1)),
    () => drop("not an object", "not_object", `pageview ${pick(["[1,2]", '"s"', "null", "true", "42", "[]"])}`),
    () => drop("no type", "missing_type", line({ data: { account: "acme" } })),
    () => drop("empty type", "missing_type", line({ type: pick([null, ""]), data: { account: "acme" } })),
    () =>
      drop(
        "type of the wrong type",
        "bad_type",
        line({ type: pick<unknown>([5, ["pageview"], { a: 1 }, true]), data: { account: "acme" } }),
      ),
    () => drop("bad type name", "bad_type", line({ type: pick(BAD_NAMES), data: { account: "acme" } })),
    () => drop("no data", "missing_account", line({ type: "pageview" })),
    () =>
      drop(
        "data not an object",
        "missing_account",
        line({ type: "pageview", data: pick<unknown>(["acme", [], 7, null]) }),
      ),
    () =>
      drop(
        "no account",
        "missing_account",
        line({ type: "pageview", data: pick<unknown>([{}, { account: null }, { account: "" }]) }),
      ),
    () =>
      drop(
        "account of the wrong type",
        "bad_account",
        line({ type: "pageview", data: { account: pick<unknown>([7, { a: 1 }, ["acme"], true]) } }),
      ),
    () => drop("bad account name", "bad_account", line({ type: "pageview", data: { account: pick(BAD_NAMES) } })),
    () =>
      drop(
        "status of the wrong type",
        "bad_status",
        line({ type: "order", data: { account: "acme", status: pick<unknown>([{ s: 1 }, ["paid"], true]) } }, "order"),
      ),
    () =>
      drop(
        "status too long",
        "bad_status",
        line({ type: "order", data: { account: "acme", status: "s".repeat(129) } }, "order"),
      ),
  ];

  /** A valid pageview for `pad-edge` whose single frame is exactly `bytes` long. */
  function padded(bytes: number): string {
    const base = line({ type: "pageview", data: { account: "pad-edge", pad: "" } });
    return line({ type: "pageview", data: { account: "pad-edge", pad: "x".repeat(bytes - base.length) } });
  }

  const out: FuzzCase[] = [];
  for (let i = 0; i < n; i++) out.push(random() < 0.4 ? pick(valid)() : pick(bad)());
  // Exactly at the limit is accepted; one byte over is not (above).
  out.splice(int(0, out.length), 0, {
    label: "exactly 64 KiB",
    message: padded(LIMIT),
    expected: { kind: "pageview", account: "pad-edge", unique: false },
  });
  // 1 MB frames: valid-looking JSON, raw bytes, and a 1 MB second frame.
  const huge: Array<() => FuzzCase> = [
    () =>
      drop("1 MB JSON", "too_large", line({ type: "pageview", data: { account: "acme", pad: "x".repeat(1 << 20) } })),
    () => drop("1 MB of bytes", "too_large", anyBytes(1 << 20)),
    () => drop("1 MB second frame", "too_large", ["pageview", Buffer.alloc(1 << 20, 0x7b)]),
  ];
  for (let i = 0; i < opts.megabyteFrames; i++)
    out.splice(int(0, out.length), 0, huge[i % huge.length]?.() as FuzzCase);
  return out;
}
