/**
 * The dashboard's state is its URL's query string (docs/contract.md §10), so a view can be shared: `account`,
 * `event`, `funnel`, `range`, `tz`, `compare`. Reading a URL never fails: a value the page does not
 * know falls back to its default, and the fallback is reported, for the page to show.
 * Pure (no DOM): the caller passes the defaults it learnt from the server and the browser.
 */
import { isName } from "../../src/domain/names.js";
import { zoneOf } from "../../src/domain/zone.js";

export const RANGES = ["60m", "24h", "today", "7d", "30d", "month", "12m"] as const;
export type Range = (typeof RANGES)[number];
export const COMPARES = ["previous", "none"] as const;
export type Compare = (typeof COMPARES)[number];

export interface ViewState {
  account: string;
  event: string;
  funnel: string;
  range: Range;
  tz: string;
  compare: Compare;
}

export interface Defaults {
  /** Tracked events (time series), the first is the default. */
  events: readonly string[];
  /** Funnel events, the first is the default. */
  funnels: readonly string[];
  /** The browser's own zone. */
  zone: string;
}

/** A parameter the page did not know, and what it shows instead. */
export interface Fallback {
  param: keyof ViewState;
  given: string;
  used: string;
}

export function defaultState(d: Defaults): ViewState {
  return {
    account: "all",
    event: d.events[0] ?? "pageview",
    funnel: d.funnels[0] ?? "order",
    range: "today",
    tz: d.zone,
    compare: "previous",
  };
}

export function readState(search: string, d: Defaults): { state: ViewState; fallbacks: Fallback[] } {
  const params = new URLSearchParams(search);
  const state = defaultState(d);
  const fallbacks: Fallback[] = [];
  const take = <K extends keyof ViewState>(param: K, valid: (v: string) => boolean) => {
    const given = params.get(param);
    if (given === null || given === "") return;
    if (valid(given)) state[param] = given as ViewState[K];
    else fallbacks.push({ param, given, used: state[param] });
  };
  take("account", isName);
  take("event", (v) => d.events.includes(v));
  take("funnel", (v) => d.funnels.includes(v));
  take("range", (v) => (RANGES as readonly string[]).includes(v));
  take("tz", (v) => zoneOf(v) !== undefined);
  take("compare", (v) => (COMPARES as readonly string[]).includes(v));
  return { state, fallbacks };
}

/** The query string of a state: every value, defaults included, so a shared URL means the same view anywhere. */
export function writeState(s: ViewState): string {
  const params = new URLSearchParams();
  params.set("account", s.account);
  params.set("event", s.event);
  params.set("funnel", s.funnel);
  params.set("range", s.range);
  params.set("tz", s.tz);
  params.set("compare", s.compare);
  return `?${params.toString()}`;
}
