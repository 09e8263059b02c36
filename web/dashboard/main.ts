/**
 * The dashboard: pick an account and events; totals, the last 60 minutes by minute, today by hour,
 * this month by day and the funnel by status, in the viewer's own time zone (named on the page), all
 * kept live by GraphQL `series` / `funnelSeries` subscriptions.
 */
import uPlot from "uplot";
import {
  DashboardAccountsDocument,
  DashboardEventsDocument,
  DashboardFunnelDocument,
  type DashboardFunnelSubscription,
  DashboardSeriesDocument,
  type DashboardSeriesSubscription,
  type DashboardSeriesSubscriptionVariables,
} from "./gql.js";
import { type ConnectionState, createLive, type Transport } from "./live.js";
import { toSeconds, viewerZone, windowsAt, windowsKey } from "./windows.js";

type Series = DashboardSeriesSubscription["series"];
const zone = viewerZone();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const params = new URLSearchParams(location.search);
const token = params.get("token") ?? undefined;
const state = {
  account: params.get("account") ?? "all",
  event: params.get("event") ?? "pageview",
  funnel: params.get("funnel") ?? "order",
};
const number = new Intl.NumberFormat("en");
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });

const live = createLive({
  endpoint: "/graphql",
  token,
  prefer: params.get("transport") === "sse" ? "sse" : "auto",
  onState: showConnection,
});

function showConnection(s: ConnectionState, transport: Transport): void {
  const el = $("connection");
  el.dataset["state"] = s;
  el.dataset["transport"] = transport;
  const via = transport === "websocket" ? "WebSocket" : "SSE";
  el.textContent =
    s === "live" ? `live · ${via}` : s === "connecting" ? `connecting (${via})…` : `reconnecting (${via})…`;
}

// --- charts -------------------------------------------------------------------------------------
const zoneDate = (ts: number) => uPlot.tzDate(new Date(ts * 1e3), zone);
const barPaths = uPlot.paths.bars?.({ size: [0.7, 40] });
function chart(id: string, label: string, bars: boolean): uPlot {
  const el = $(id);
  return new uPlot(
    {
      width: Math.max(el.clientWidth, 280),
      height: 180,
      tzDate: zoneDate,
      legend: { show: false },
      cursor: { points: { show: false } },
      scales: { y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
      series: [
        {},
        {
          label,
          stroke: "#2f6fde",
          fill: "rgba(47,111,222,0.18)",
          width: 2,
          ...(bars && barPaths ? { paths: barPaths } : {}),
        },
      ],
      axes: [
        { stroke: "#667" },
        { stroke: "#667", size: 50, values: (_u, ticks) => ticks.map((t) => compact.format(t)) },
      ],
    },
    [[], []],
    el,
  );
}
const charts = {
  lastHour: chart("chart-last-hour", "per minute", false),
  today: chart("chart-today", "per hour", true),
  month: chart("chart-month", "per day", true),
};
addEventListener("resize", () => {
  for (const [id, c] of [
    ["chart-last-hour", charts.lastHour],
    ["chart-today", charts.today],
    ["chart-month", charts.month],
  ] as const) {
    c.setSize({ width: Math.max($(id).clientWidth, 280), height: 180 });
  }
});

// --- data ---------------------------------------------------------------------------------------
let unsubscribe: Array<() => void> = [];
let watching = "";

function drawSeries(c: uPlot, series: Series, totalId: string): void {
  c.setData([series.points.map((p) => toSeconds(p.start)), series.points.map((p) => p.count)]);
  $(totalId).textContent = number.format(series.total);
}

function drawFunnel(funnel: DashboardFunnelSubscription["funnelSeries"]): void {
  $("total-funnel").textContent = number.format(funnel.total);
  const max = Math.max(1, ...funnel.statuses.map((s) => s.count));
  const rows = funnel.statuses.map((s) => {
    const row = document.createElement("div");
    row.className = "funnel-row";
    const name = document.createElement("span");
    name.textContent = s.status;
    const bar = document.createElement("span");
    bar.className = "bar";
    bar.style.width = `${(s.count / max) * 100}%`;
    const count = document.createElement("span");
    count.className = "count";
    count.textContent = number.format(s.count);
    row.append(name, bar, count);
    return row;
  });
  $("funnel").replaceChildren(
    ...(rows.length ? rows : [Object.assign(document.createElement("p"), { textContent: "no events yet" })]),
  );
}

function watch(): void {
  const windows = windowsAt(Date.now(), zone);
  const key = `${state.account}|${state.event}|${state.funnel}|${windowsKey(windows)}`;
  if (key === watching) return;
  watching = key;
  for (const stop of unsubscribe) stop();
  const series = (
    window: Omit<DashboardSeriesSubscriptionVariables, "account" | "event" | "timeZone">,
    c: uPlot,
    totalId: string,
  ) =>
    live.subscribe(
      DashboardSeriesDocument,
      { account: state.account, event: state.event, timeZone: zone, ...window },
      (d) => drawSeries(c, d.series, totalId),
    );
  unsubscribe = [
    // Slides on the server when the next minute begins, events or not.
    series({ granularity: "MINUTE", last: 60 }, charts.lastHour, "total-last-hour"),
    series({ granularity: "HOUR", ...windows.today }, charts.today, "total-today"),
    series({ granularity: "DAY", ...windows.month }, charts.month, "total-month"),
    live.subscribe(DashboardFunnelDocument, { account: state.account, event: state.funnel, ...windows.funnel }, (d) =>
      drawFunnel(d.funnelSeries),
    ),
  ];
  for (const id of ["label-event", "label-event-2", "label-event-3"]) $(id).textContent = state.event;
  for (const id of ["label-funnel", "label-funnel-2"]) $(id).textContent = state.funnel;
  $("funnel-zone").textContent = windows.funnel.timeZone;
}

// --- pickers ------------------------------------------------------------------------------------
function fill(select: HTMLSelectElement, names: readonly string[], selected: string): void {
  const all = names.includes(selected) ? names : [selected, ...names];
  select.replaceChildren(...all.map((n) => new Option(n, n, false, n === selected)));
}

async function refreshPickers(): Promise<void> {
  try {
    const { accounts } = await live.query(DashboardAccountsDocument, {});
    fill($("account"), accounts, state.account);
    const { events } = await live.query(DashboardEventsDocument, { account: state.account });
    fill($("event"), events, state.event);
    fill($("funnel-event"), events, state.funnel);
  } catch {
    // Shown by the connection state; the next refresh tries again.
  }
}

function onPick(): void {
  state.account = $<HTMLSelectElement>("account").value;
  state.event = $<HTMLSelectElement>("event").value;
  state.funnel = $<HTMLSelectElement>("funnel-event").value;
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(state)) url.searchParams.set(k, v);
  history.replaceState(null, "", url);
  watch();
  void refreshPickers();
}
for (const id of ["account", "event", "funnel-event"]) $(id).addEventListener("change", onPick);

for (const el of document.querySelectorAll<HTMLElement>(".zone")) el.textContent = zone;
fill($("account"), [], state.account);
fill($("event"), [], state.event);
fill($("funnel-event"), [], state.funnel);
watch();
void refreshPickers();
// Today and this month roll over at local midnight, events or not (the last 60 minutes slide on the server).
setInterval(watch, 1_000);
setInterval(() => void refreshPickers(), 30_000);
