/**
 * The naming rules of `promtool check metrics` (Prometheus' promlint), applied to the text
 * exposition format, so a test can enforce them without promtool installed: HELP present; counters
 * end in _total and nothing else does; no _bucket/_count/_sum or le/quantile outside histograms and
 * summaries; no type name, colon, camelCase or abbreviated unit in a name; base units only.
 */

export interface Family {
  name: string;
  type: string;
  help: string | undefined;
  labels: Set<string>;
}

export interface Problem {
  metric: string;
  text: string;
}

const TYPES = ["counter", "gauge", "summary", "histogram", "gaugehistogram"];
const ABBREVIATIONS = ["s", "ms", "us", "ns", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d"];
const BASE_UNITS: Record<string, string> = {
  amperes: "amperes",
  bytes: "bytes",
  celsius: "celsius",
  grams: "grams",
  joules: "joules",
  kelvin: "kelvin",
  meters: "meters",
  metres: "metres",
  seconds: "seconds",
  volts: "volts",
  minutes: "seconds",
  hours: "seconds",
  days: "seconds",
  weeks: "seconds",
  kelvins: "kelvin",
  fahrenheit: "celsius",
  rankine: "celsius",
  inches: "meters",
  yards: "meters",
  miles: "meters",
  bits: "bytes",
  calories: "joules",
  pounds: "grams",
  ounces: "grams",
};
const PREFIXES = ["pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo", "kibi", "mega"];
PREFIXES.push("mibi", "giga", "gibi", "tera", "tebi", "peta", "pebi");
const CAMEL = /[a-z][A-Z]/;

/** The metric families of an exposition, with the label names their samples use. */
export function parseExposition(text: string): Family[] {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) {
      f = { name, type: "untyped", help: undefined, labels: new Set() };
      families.set(name, f);
    }
    return f;
  };
  for (const line of text.split("\n")) {
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta) {
      const f = family(meta[2] as string);
      if (meta[1] === "HELP") f.help = meta[3];
      else f.type = meta[3] as string;
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{([^}]*)\})? /.exec(line);
    if (!sample) continue;
    const sampleName = sample[1] as string;
    // A histogram's _bucket/_sum/_count samples belong to their family.
    const owner =
      [...families.values()].find(
        (f) => (f.type === "histogram" || f.type === "summary") && sampleName.startsWith(`${f.name}_`),
      ) ?? family(sampleName);
    for (const m of (sample[3] ?? "").matchAll(/([A-Za-z_][A-Za-z0-9_]*)="/g)) owner.labels.add(m[1] as string);
  }
  return [...families.values()];
}

export function lintExposition(text: string): Problem[] {
  const problems: Problem[] = [];
  for (const f of parseExposition(text)) {
    const add = (t: string) => problems.push({ metric: f.name, text: t });
    const n = f.name.toLowerCase();
    if (!f.help) add("no help text");
    if (f.type === "counter" && !f.name.endsWith("_total")) add('counter metrics should have "_total" suffix');
    if (f.type !== "counter" && f.type !== "untyped" && f.name.endsWith("_total"))
      add('non-counter metrics should not have "_total" suffix');
    if (f.type !== "untyped") {
      if (f.type !== "histogram" && f.name.endsWith("_bucket")) add('non-histogram metrics should not have "_bucket"');
      const aggregate = f.type === "histogram" || f.type === "summary";
      if (!aggregate && (f.name.endsWith("_count") || f.name.endsWith("_sum")))
        add("non-histogram and non-summary metrics should not have _count or _sum suffix");
      if (f.type !== "histogram" && f.labels.has("le")) add('non-histogram metrics should not have "le" label');
      if (f.type !== "summary" && f.labels.has("quantile")) add('non-summary metrics should not have "quantile" label');
    }
    for (const t of TYPES)
      if (n.includes(`_${t}_`) || n.endsWith(`_${t}`)) add(`metric name should not include type '${t}'`);
    if (f.name.includes(":")) add("metric names should not contain ':'");
    if (CAMEL.test(f.name)) add("metric names should be written in 'snake_case' not 'camelCase'");
    for (const l of f.labels) if (CAMEL.test(l)) add(`label name ${l} should be written in 'snake_case'`);
    for (const a of ABBREVIATIONS)
      if (n.includes(`_${a}_`) || n.endsWith(`_${a}`)) add("metric names should not contain abbreviated units");
    const unit = unitOf(f.name);
    if (unit && unit[0] !== unit[1]) add(`use base unit "${unit[1]}" instead of "${unit[0]}"`);
  }
  return problems;
}

/** The first unit word of a name and its base unit, as promlint finds it. */
function unitOf(name: string): [string, string] | undefined {
  for (const word of name.split("_")) {
    const base = BASE_UNITS[word];
    if (base) return [word, base];
    for (const p of PREFIXES) {
      const b = word.startsWith(p) ? BASE_UNITS[word.slice(p.length)] : undefined;
      if (b) return [word, b];
    }
  }
  return undefined;
}
