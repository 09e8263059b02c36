/**
 * The range's chart (uPlot): one bar per segment, drawn in the viewer's zone. Honest about time: the
 * segment that contains now is hatched (still counting), segments after now are not drawn at all;
 * the previous range is a faint dashed line behind, segment by segment. Colours come from the page's
 * CSS variables, so the chart follows light and dark.
 */
import uPlot from "uplot";

export interface ChartInput {
  /** Segment starts and ends (epoch ms), in order. */
  starts: readonly number[];
  ends: readonly number[];
  counts: readonly number[];
  /** The previous range's counts, segment by segment (same length), or undefined without a comparison. */
  previous: readonly number[] | undefined;
}

export type Unit = "minute" | "hour" | "day" | "month";

export interface Chart {
  draw(input: ChartInput, now: number): void;
  resize(): void;
  destroy(): void;
}

const INTEGER_STEPS = Array.from({ length: 16 }, (_, e) => [1, 2, 5].map((m) => m * 10 ** e)).flat();
const css = (name: string) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();
const compact = new Intl.NumberFormat("en", { notation: "compact", maximumFractionDigits: 1 });
const number = new Intl.NumberFormat("en");

/** A segment in words, in the zone: "14:05", "Tue 14:00", "Mon 3 Nov", "Nov 2026". */
export function segmentName(start: number, unit: Unit, zone: string): string {
  const opts: Intl.DateTimeFormatOptions =
    unit === "minute"
      ? { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
      : unit === "hour"
        ? { weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
        : unit === "day"
          ? { weekday: "short", day: "numeric", month: "short" }
          : { month: "short", year: "numeric" };
  return new Intl.DateTimeFormat("en-GB", { ...opts, timeZone: zone }).format(start);
}

function hatch(fg: string, bg: string): CanvasPattern | string {
  const tile = document.createElement("canvas");
  tile.width = 6;
  tile.height = 6;
  const g = tile.getContext("2d");
  if (!g) return bg;
  g.fillStyle = bg;
  g.fillRect(0, 0, 6, 6);
  g.strokeStyle = fg;
  g.lineWidth = 2;
  g.beginPath();
  g.moveTo(-1, 7);
  g.lineTo(7, -1);
  g.stroke();
  return g.createPattern(tile, "repeat") ?? bg;
}

export function createChart(el: HTMLElement, zone: string, unit: Unit, readout: HTMLElement): Chart {
  const accent = css("--accent");
  const muted = css("--muted");
  const grid = css("--line");
  let input: ChartInput = { starts: [], ends: [], counts: [], previous: undefined };
  let partialIndex = -1;
  const bars = uPlot.paths.bars?.({ size: [0.72, 48], gap: 1 });
  const width = () => Math.max(el.clientWidth, 200);
  const height = () => (el.clientWidth < 500 ? 200 : 260);

  const tick = new Intl.DateTimeFormat("en-GB", {
    timeZone: zone,
    ...(unit === "minute" || unit === "hour"
      ? { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
      : unit === "day"
        ? { day: "numeric", month: "short" }
        : { month: "short", year: "2-digit" }),
  } as const);
  const say = (i: number | null | undefined) => {
    if (i === null || i === undefined || i < 0 || i >= input.starts.length) i = partialIndex;
    const start = input.starts[i];
    if (start === undefined || i < 0) {
      readout.textContent = "";
      return;
    }
    const count = input.counts[i] ?? 0;
    const prev = input.previous?.[i];
    const partial = i === partialIndex ? " so far" : "";
    readout.textContent =
      `${segmentName(start, unit, zone)}: ${number.format(count)}${partial}` +
      (prev === undefined ? "" : ` · previous period: ${number.format(prev)}`);
  };

  const plot = new uPlot(
    {
      width: width(),
      height: height(),
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), zone),
      legend: { show: false },
      cursor: { points: { show: false }, y: false, drag: { x: false, y: false } },
      scales: {
        x: {
          time: true,
          range: (_u, min, max) => {
            const step = input.starts.length > 1 ? (max - min) / (input.starts.length - 1) : 3600;
            return [min - step / 2, max + step / 2];
          },
        },
        y: { range: (_u, _min, max) => [0, Math.max(4, max * 1.12)] },
      },
      series: [
        {},
        { label: "previous period", stroke: css("--previous"), width: 1.5, dash: [5, 4], points: { show: false } },
        {
          label: "this period",
          fill: accent,
          stroke: accent,
          width: 0,
          points: { show: false },
          ...(bars ? { paths: bars } : {}),
        },
        {
          label: "so far",
          fill: hatch(accent, css("--accent-soft")),
          stroke: accent,
          width: 1,
          points: { show: false },
          ...(bars ? { paths: bars } : {}),
        },
      ],
      axes: [
        {
          stroke: muted,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          values: (_u, ticks) => ticks.map((t) => tick.format(t * 1000)),
        },
        {
          stroke: muted,
          size: 48,
          // Counts are whole: ticks at 1, 2, 5, 10, 20, 50 … never 2.5.
          incrs: INTEGER_STEPS,
          grid: { stroke: grid, width: 1 },
          ticks: { stroke: grid },
          values: (_u, ticks) => ticks.map((t) => compact.format(t)),
        },
      ],
      hooks: { setCursor: [(u) => say(u.cursor.idx)] },
    },
    [[], [], [], []],
    el,
  );

  // From the keyboard: focus the chart, then ← → (Home, End) move the readout segment by segment.
  const onKey = (e: KeyboardEvent) => {
    const last = input.starts.length - 1;
    if (last < 0) return;
    const at = plot.cursor.idx ?? (partialIndex >= 0 ? partialIndex : last);
    const to =
      e.key === "ArrowLeft"
        ? Math.max(0, at - 1)
        : e.key === "ArrowRight"
          ? Math.min(last, at + 1)
          : e.key === "Home"
            ? 0
            : e.key === "End"
              ? last
              : undefined;
    if (to === undefined) return;
    e.preventDefault();
    plot.setCursor({ left: plot.valToPos((input.starts[to] ?? 0) / 1000, "x"), top: 10 });
  };
  el.tabIndex = 0;
  el.addEventListener("keydown", onKey);

  return {
    draw(next, now) {
      input = next;
      partialIndex = next.starts.findIndex((s, i) => s <= now && now < (next.ends[i] ?? s));
      const xs = next.starts.map((s) => s / 1000);
      // Future segments: no bar and no zero. The partial one: its own, hatched series.
      const done = next.counts.map((c, i) => ((next.ends[i] ?? 0) <= now ? c : null));
      const partial = next.counts.map((c, i) => (i === partialIndex ? c : null));
      const previous = next.starts.map((_s, i) => next.previous?.[i] ?? null);
      plot.setData([xs, previous, done, partial]);
      say(plot.cursor.idx);
    },
    resize() {
      plot.setSize({ width: width(), height: height() });
    },
    destroy() {
      el.removeEventListener("keydown", onKey);
      plot.destroy();
    },
  };
}
