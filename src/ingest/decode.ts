/**
 * Wire decoding (pure): ZeroMQ frames → a validated event, or the reason it was dropped.
 *
 * Accepted (docs/contract.md §2): one frame `<topic> <json>`, two frames `[topic, json]`, one frame of
 * bare JSON. The JSON's `type` decides what the event is, never the topic word.
 */

import { NAME_PATTERN } from "../domain/names.js";

export const MAX_MESSAGE_BYTES = 64 * 1024;
const MAX_STATUS_LENGTH = 128;

export interface WireEvent {
  type: string;
  account: string;
  unique: boolean;
  /** `data.status` as a string; "" when absent. */
  status: string;
  /** The raw `time` field, for `--time-source event`. */
  time: unknown;
}

export const DROP_REASONS = [
  "too_large",
  "bad_frames",
  "bad_json",
  "not_object",
  "missing_type",
  "bad_type",
  "missing_account",
  "bad_account",
  "bad_status",
] as const;
export type DropReason = (typeof DROP_REASONS)[number];

export type Decoded = { ok: true; event: WireEvent } | { ok: false; reason: DropReason };

const SPACE = 0x20;
const OPEN_BRACE = 0x7b;

const drop = (reason: DropReason): Decoded => ({ ok: false, reason });

export function decodeFrames(frames: readonly Uint8Array[]): Decoded {
  let size = 0;
  for (const f of frames) size += f.length;
  if (size > MAX_MESSAGE_BYTES) return drop("too_large");

  let json: Uint8Array;
  if (frames.length === 2) {
    json = frames[1] as Uint8Array;
  } else if (frames.length === 1) {
    const frame = frames[0] as Uint8Array;
    const start = firstNonSpace(frame);
    if (frame[start] === OPEN_BRACE) {
      json = frame;
    } else {
      const space = frame.indexOf(SPACE);
      if (space < 0) return drop("bad_json");
      json = frame.subarray(space + 1);
    }
  } else {
    return drop("bad_frames");
  }
  return decodeJson(Buffer.from(json.buffer, json.byteOffset, json.length).toString("utf8"));
}

export function decodeJson(text: string): Decoded {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return drop("bad_json");
  }
  if (!isObject(doc)) return drop("not_object");
  const { type, data } = doc;
  if (type === undefined || type === null || type === "") return drop("missing_type");
  if (typeof type !== "string" || !NAME_PATTERN.test(type)) return drop("bad_type");
  if (!isObject(data)) return drop("missing_account");
  const { account, unq, status } = data;
  if (account === undefined || account === null || account === "") return drop("missing_account");
  if (typeof account !== "string" || !NAME_PATTERN.test(account)) return drop("bad_account");

  let statusText = "";
  if (typeof status === "string") statusText = status;
  else if (typeof status === "number" && Number.isFinite(status)) statusText = String(status);
  else if (status !== undefined && status !== null) return drop("bad_status");
  if (statusText.length > MAX_STATUS_LENGTH) return drop("bad_status");

  return {
    ok: true,
    event: { type, account, unique: unq === "1" || unq === 1 || unq === true, status: statusText, time: doc["time"] },
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function firstNonSpace(frame: Uint8Array): number {
  let i = 0;
  while (i < frame.length && (frame[i] === SPACE || frame[i] === 0x0a || frame[i] === 0x0d || frame[i] === 0x09)) i++;
  return i;
}
