/**
 * The dashboard (docs/contract.md §10): one account's (or every account's) numbers for a range in a time zone,
 * compared with the range before, kept live by GraphQL subscriptions. The URL is the state
 * (state.ts); each range is a set of §7 windows (ranges.ts); the chart is chart.ts; the connection,
 * with its reconnects and token refusals, is live.ts.
 */
import { formatOffset, type Zone, zoneOf } from "../../src/domain/zone.js";
import { type Chart, createChart, type Unit } from "./chart.js";
import {
  DashboardAccountsDocument,
  DashboardFunnelDocument,
  type DashboardFunnelSubscription,
  DashboardSeriesComparedDocument,
  type DashboardSeriesComparedSubscription,
  DashboardSeriesDocument,
} from "./gql.js";
import { type AuthError, type ConnectionState, createLive, type Live, type Transport } from "./live.js";
import { planKey, planRange, type RangePlan, type WindowArgs } from "./ranges.js";
import { type Fallback, RANGES, readState, type ViewState, writeState } from "./state.js";
import { type TopAnswer, watchTop } from "./top.js";

type SeriesAnswer = DashboardSeriesComparedSubscription["series"];
type FunnelAnswer = DashboardFunnelSubscription["funnelSeries"];

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const number = new Intl.NumberFormat("en");
const percent = new Intl.NumberFormat("en", { maximumFractionDigits: 1 });
const TOKEN_KEY = "stats-dashboard-token";

const config = JSON.parse(document.querySelector("meta[name=dashboard-config]")?.getAttribute("content") ?? "{}") as {
  trackEvents: string[];
  funnelEvents: string[];
};
const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
const defaults = { events: config.trackEvents, funnels: config.funnelEvents, zone: browserZone };
const transport = new URLSearchParams(location.search).get("transport") === "sse" ? "sse" : "auto";

/** Words a shop owner knows, for the events the service counts; other names are shown as they are. */
const EVENT_WORDS: Record<string, { name: string; help: string }> = {
  pageview: { name: "Page views", help: "Every page view, counted as it arrives." },
  unique: {
    name: "Unique visits",
    help: "Page views the site flagged as unique (data.unq), usually a visitor's first of a visit: how many visits, not how many pages they saw.",
  },
};
const eventName = (e: string) => EVENT_WORDS[e]?.name ?? `${e} events`;
const article = (word: string) => (/^[aeiou]/i.test(word) ? "an" : "a");
const funnelName = (e: string) => `${e[0]?.toUpperCase() ?? ""}${e.slice(1)}s by status`;

// --- the connection and the token --------------------------------------------------------------
let token = sessionStorage.getItem(TOKEN_KEY) ?? undefined;
let live: Live = connect();

function connect(): Live {
  return createLive({ endpoint: "/graphql", token, prefer: transport, onState: showConnection, onAuth: askForToken });
}

function showConnection(s: ConnectionState, via: Transport): void {
  const el = $("connection");
  if (el.dataset["state"] === "token") return;
  el.dataset["state"] = s;
  el.dataset["transport"] = via;
  const name = via === "websocket" ? "WebSocket" : "SSE";
  el.textContent =
    s === "live" ? `live · ${name}` : s === "connecting" ? `connecting (${name})…` : `reconnecting (${name})…`;
}

function askForToken(err: AuthError): void {
  const el = $("connection");
  el.dataset["state"] = "token";
  el.textContent = "token needed";
  $("token-reason").textContent =
    err.status === 403
      ? `This token may not read this view (${err.message}). Enter one that may, or pick another account.`
      : token
        ? `The token was not accepted (${err.message}).`
        : "The numbers on this page need a token for this server's API.";
  $("token-open").hidden = false;
  openTokenDialog();
}

function openTokenDialog(): void {
  const dialog = $<HTMLDialogElement>("token-dialog");
  if (!dialog.open) dialog.showModal();
}
$("token-open").addEventListener("click", openTokenDialog);

$("token-form").addEventListener("submit", () => {
  const input = $<HTMLInputElement>("token-input");
  token = input.value.trim() || undefined;
  input.value = "";
  $("token-open").hidden = true;
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
  reconnect();
  watch();
  void refreshAccounts();
});

/** A new connection with the current token (after a refusal, the old one stopped asking). */
function reconnect(): void {
  live.dispose();
  $("connection").dataset["state"] = "connecting";
  $("token-open").hidden = true;
  live = connect();
  watching = "";
}

// --- the state in the URL ----------------------------------------------------------------------
let { state, fallbacks } = readState(location.search, defaults);

function showFallbacks(list: readonly Fallback[]): void {
  const what: Record<Fallback["param"], string> = {
    account: "an account name",
    event: "an event this server tracks",
    funnel: "a funnel event of this server",
    range: `a range (${RANGES.join(", ")})`,
    tz: "a time zone this browser knows",
    compare: "a comparison (previous or none)",
  };
  $("notes").replaceChildren(
    ...list.map((f) =>
      Object.assign(document.createElement("p"), {
        textContent: `“${f.given}” in the address is not ${what[f.param]}: showing ${f.used} instead.`,
      }),
    ),
  );
}

/** Refused for the last view (a token for one account on `all`, say): the next one may be allowed. */
function retryIfRefused(): void {
  if ($("connection").dataset["state"] === "token") reconnect();
}

function go(next: Partial<ViewState>): void {
  state = { ...state, ...next };
  retryIfRefused();
  history.pushState(null, "", writeState(state));
  showFallbacks([]);
  apply();
}

addEventListener("popstate", () => {
  ({ state, fallbacks } = readState(location.search, defaults));
  retryIfRefused();
  showFallbacks(fallbacks);
  apply();
});

// --- controls ----------------------------------------------------------------------------------
function fill(select: HTMLSelectElement, values: readonly string[], selected: string, label = (v: string) => v) {
  const all = values.includes(selected) ? values : [selected, ...values];
  select.replaceChildren(...all.map((v) => new Option(label(v), v, false, v === selected)));
  select.value = selected;
}

const zones = (() => {
  const known = (Intl as { supportedValuesOf?: (k: string) => string[] }).supportedValuesOf?.("timeZone") ?? [];
  return [...new Set(["UTC", browserZone, ...known])];
})();
let accounts: string[] = ["all"];

function syncControls(): void {
  fill($("account"), accounts, state.account, (a) => (a === "all" ? "All accounts" : a));
  fill($("event"), config.trackEvents, state.event, eventName);
  fill($("funnel"), config.funnelEvents, state.funnel);
  $<HTMLSelectElement>("range").value = state.range;
  fill($("tz"), zones, state.tz, (z) => (z === browserZone ? `${z} (this device)` : z));
  $<HTMLInputElement>("compare").checked = state.compare === "previous";
}

for (const id of ["account", "event", "funnel", "range", "tz"] as const) {
  $(id).addEventListener("change", (e) => go({ [id]: (e.target as HTMLSelectElement).value }));
}
$("compare").addEventListener("change", (e) =>
  go({ compare: (e.target as HTMLInputElement).checked ? "previous" : "none" }),
);
$("controls").addEventListener("submit", (e) => e.preventDefault());

async function refreshAccounts(): Promise<void> {
  try {
    const answer = await live.query(DashboardAccountsDocument, {});
    accounts = answer.accounts.includes("all")
      ? ["all", ...answer.accounts.filter((a) => a !== "all")]
      : answer.accounts;
    fill($("account"), accounts, state.account, (a) => (a === "all" ? "All accounts" : a));
  } catch {
    // A refused token opens the prompt; anything else shows in the connection state. Tried again later.
  }
}

// --- panels ------------------------------------------------------------------------------------
let chart: Chart | undefined;
let chartAnswer: SeriesAnswer | undefined;
/** What the API said it could not answer for the chart (shown under it until the view changes). */
let chartNotice = "";
let drawnPartial = "";
let plan: RangePlan = planRange(state.range, state.tz, Date.now());

function showTotal(answer: { total: number; previous?: { total: number } | null }): void {
  $("total").textContent = number.format(answer.total);
  const change = $("change");
  const prev = answer.previous?.total;
  if (prev === undefined) {
    change.textContent = "";
    change.removeAttribute("data-trend");
    return;
  }
  const vs = `vs ${plan.previousName} (${number.format(prev)})`;
  if (prev === 0) {
    change.dataset["trend"] = answer.total > 0 ? "up" : "flat";
    change.textContent = answer.total > 0 ? `new · none ${vs}` : `no change ${vs}`;
    return;
  }
  const pct = ((answer.total - prev) / prev) * 100;
  const trend = Math.abs(pct) < 0.05 ? "flat" : pct > 0 ? "up" : "down";
  change.dataset["trend"] = trend;
  change.textContent = `${trend === "up" ? "▲ up" : trend === "down" ? "▼ down" : "="} ${percent.format(Math.abs(pct))}% ${vs}`;
}

function drawChart(answer: SeriesAnswer): void {
  chartAnswer = answer;
  const starts = answer.points.map((p) => Date.parse(p.start));
  const ends = starts.map((_s, i) => starts[i + 1] ?? Date.parse(answer.to));
  const now = Date.now();
  chart?.draw(
    { starts, ends, counts: answer.points.map((p) => p.count), previous: answer.previous?.points.map((p) => p.count) },
    now,
  );
  drawnPartial = String(starts.findIndex((s, i) => s <= now && now < (ends[i] ?? s)));
  const hours = answer.points.length;
  const dst =
    state.range === "today" && hours !== 24
      ? `Today has ${hours} hours in ${state.tz}: the clocks ${hours < 24 ? "went forward" : "went back"}.`
      : "";
  $("chart-note").textContent = [dst, chartNotice].filter(Boolean).join(" ");
  $("chart").setAttribute(
    "aria-label",
    `${eventName(state.event)} by ${plan.unit}, ${plan.title.toLowerCase()}: ${number.format(answer.total)} in all`,
  );
}

function drawFunnel(answer: FunnelAnswer, note: string): void {
  const name = state.funnel;
  const rows = [...answer.statuses].sort((a, b) => b.count - a.count || a.status.localeCompare(b.status));
  $("funnel-summary").textContent =
    `${number.format(answer.total)} ${name} events. Each is one ${name} reaching one status, so ${article(name)} ${name} that went ` +
    `through several statuses is counted once in each: the statuses do not add up to a number of ${name}s.${note}`;
  const max = Math.max(1, ...rows.map((r) => r.count));
  $("funnel-rows").replaceChildren(
    ...rows.map((r, i) => {
      const before = rows[i - 1];
      const share = answer.total ? (r.count / answer.total) * 100 : 0;
      const conversion = before?.count
        ? ` · ${percent.format((r.count / before.count) * 100)}% of ${before.status}`
        : "";
      return row(r.status, r.count, max, `${percent.format(share)}% of ${name} events${conversion}`);
    }),
  );
  if (rows.length === 0) $("funnel-rows").replaceChildren(emptyRow(`No ${name} events in this range yet.`));
}

function drawTop(answer: TopAnswer): void {
  const max = Math.max(1, ...answer.accounts.map((a) => a.count));
  $("top-summary").textContent =
    answer.accountCount === 0
      ? ""
      : `${number.format(answer.accountCount)} accounts with ${eventName(state.event).toLowerCase()} in this range` +
        (answer.others > 0 ? `; the others together: ${number.format(answer.others)}.` : ".");
  $("top").replaceChildren(
    ...answer.accounts.map((a) => {
      const share = answer.total ? (a.count / answer.total) * 100 : 0;
      return row(
        a.account,
        a.count,
        max,
        `${percent.format(share)}% of all`,
        writeState({ ...state, account: a.account }),
      );
    }),
  );
  if (answer.accounts.length === 0) $("top").replaceChildren(emptyRow("No accounts with data in this range yet."));
}

function row(name: string, count: number, max: number, sub: string, href?: string): HTMLLIElement {
  const li = document.createElement("li");
  let label: HTMLElement;
  if (href) {
    const link = document.createElement("a");
    link.href = href;
    // The same view without a reload; a new tab or window where the viewer asks for one.
    link.addEventListener("click", (e) => {
      if (e.metaKey || e.ctrlKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      go({ account: name });
    });
    label = link;
  } else label = document.createElement("span");
  label.className = "name";
  label.textContent = name;
  const meter = document.createElement("span");
  meter.className = "meter";
  meter.style.width = `${(count / max) * 100}%`;
  const value = document.createElement("span");
  value.className = "count";
  value.textContent = number.format(count);
  const small = document.createElement("span");
  small.className = "sub";
  small.textContent = sub;
  li.append(label, meter, value, small);
  return li;
}

const emptyRow = (text: string) => Object.assign(document.createElement("li"), { textContent: text });

// --- subscriptions -----------------------------------------------------------------------------
let stops: Array<() => void> = [];
let watching = "";

function subscribeSeries(
  args: WindowArgs,
  onData: (s: SeriesAnswer) => void,
  onNote: (text: string) => void,
): () => void {
  const vars = { account: state.account, event: state.event, timeZone: state.tz, ...args };
  let stop: () => void;
  const plain = () =>
    live.subscribe(DashboardSeriesDocument, vars, (d) => onData({ ...d.series, previous: null }), onNote);
  if (state.compare === "none") return plain();
  stop = live.subscribe(
    DashboardSeriesComparedDocument,
    vars,
    (d) => onData(d.series),
    (message) => {
      // The previous range may reach past what the server can answer exactly (minute data in a
      // half-hour zone): the range alone, said so.
      stop();
      onNote(`No comparison: ${message}`);
      stop = plain();
    },
  );
  return () => stop();
}

function watch(): void {
  const now = Date.now();
  plan = planRange(state.range, state.tz, now);
  const key = `${writeState(state)}|${planKey(plan)}`;
  if (key === watching) {
    redrawIfSlid(now);
    return;
  }
  watching = key;
  for (const stop of stops) stop();
  chart?.destroy();
  chartAnswer = undefined;
  chartNotice = "";
  $("chart-note").textContent = "";
  chart = createChart($("chart"), state.tz, plan.unit as Unit, $("readout"));
  for (const id of ["total", "change", "readout"]) $(id).textContent = "";
  $("total").textContent = "–";
  $("funnel-rows").replaceChildren();
  $("top").replaceChildren();
  const chartIsTotal = JSON.stringify(plan.chart) === JSON.stringify(plan.total);
  const help = EVENT_WORDS[state.event]?.help ?? "";
  const say = (id: string, base: string) => (text: string) => {
    $(id).textContent = [base, text].filter(Boolean).join(" ");
  };
  stops = [
    subscribeSeries(
      plan.chart,
      (s) => {
        drawChart(s);
        if (chartIsTotal) showTotal(s);
      },
      (text) => {
        chartNotice = text;
        $("chart-note").textContent = text;
      },
    ),
  ];
  if (!chartIsTotal) stops.push(subscribeSeries(plan.total, showTotal, say("event-help", help)));
  const f = plan.funnel;
  const funnelNote =
    (state.range === "60m" ? " Funnels are kept by the hour: this is the current hour so far." : "") +
    (f.timeZone !== state.tz
      ? ` Shown for ${plan.title.toLowerCase()} in UTC: funnels are kept per UTC hour, and ${state.tz} begins its ${plan.unit}s inside one.`
      : "");
  stops.push(
    live.subscribe(
      DashboardFunnelDocument,
      { account: state.account, event: state.funnel, ...f },
      (d) => drawFunnel(d.funnelSeries, funnelNote),
      say("funnel-summary", "The server could not answer:"),
    ),
  );
  const top = $("top-card");
  top.hidden = state.account !== "all";
  if (state.account === "all") {
    stops.push(
      watchTop(live, { event: state.event, timeZone: state.tz, ...plan.total }, drawTop, say("top-summary", "")),
    );
  }
}

/** A from/to chart (today, this month) does not slide on the server: a new segment begins here. */
function redrawIfSlid(now: number): void {
  if (!chartAnswer) return;
  const starts = chartAnswer.points.map((p) => Date.parse(p.start));
  const to = Date.parse(chartAnswer.to);
  const partial = String(starts.findIndex((s, i) => s <= now && now < (starts[i + 1] ?? to)));
  if (partial !== drawnPartial) drawChart(chartAnswer);
}

function apply(): void {
  syncControls();
  watch();
  const z: Zone | undefined = zoneOf(state.tz);
  $("zone").textContent = state.tz;
  $("zone-offset").textContent = z ? `(UTC${formatOffset(z.offset(Date.now()))})` : "";
  const who = state.account === "all" ? "" : ` · ${state.account}`;
  $("total-title").textContent = `${eventName(state.event)} · ${plan.title}${who}`;
  $("event-help").textContent = EVENT_WORDS[state.event]?.help ?? "";
  $("chart-title").textContent = `${plan.title} by ${plan.unit}`;
  $("legend-previous-item").hidden = state.compare === "none";
  $("legend-previous").textContent = plan.previousName;
  $("legend-partial").textContent = `this ${plan.unit} so far (still counting)`;
  $("funnel-title").textContent = funnelName(state.funnel);
  $("top-title").textContent = `Top accounts · ${eventName(state.event).toLowerCase()}`;
}

showFallbacks(fallbacks);
apply();
void refreshAccounts();
// Today and this month move on at the zone's midnight, events or not; `last: N` windows slide on the server.
setInterval(watch, 1_000);
setInterval(() => void refreshAccounts(), 30_000);
addEventListener("resize", () => chart?.resize());
matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
  watching = "";
  watch();
});
