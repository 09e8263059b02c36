import assert from "node:assert/strict";
import { test } from "node:test";
import { accountNames, createSimulation, dailyShape, toMessage } from "../../src/domain/simulation.js";
import { decodeJson } from "../../src/ingest/decode.js";

test("the daily rhythm averages the advertised rate over a UTC day, quiet at night, busy mid-afternoon", () => {
  const day = Date.UTC(2026, 3, 5);
  let sum = 0;
  for (let m = 0; m < 1440; m++) sum += dailyShape(day + m * 60_000);
  assert.ok(Math.abs(sum / 1440 - 1) < 1e-9, `mean ${sum / 1440}`);
  assert.ok(dailyShape(day + 3 * 3_600_000) < 0.5);
  assert.ok(dailyShape(day + 15 * 3_600_000) > 1.5);
});

test("the same seed gives the same events; every event is wire-valid", () => {
  const a = createSimulation({ accounts: 12, seed: 7 });
  const b = createSimulation({ accounts: 12, seed: 7 });
  const t = Date.UTC(2026, 3, 5, 12);
  for (let i = 0; i < 2_000; i++) {
    const ev = a.next(t + i);
    assert.deepEqual(b.next(t + i), ev);
    const decoded = decodeJson(toMessage(ev).slice(ev.type.length + 1));
    assert.ok(decoded.ok, JSON.stringify(ev));
  }
  assert.deepEqual(accountNames(12).slice(9), ["cyberdyne", "shop-11", "shop-12"]);
});

test("orders reach later statuses only after earlier ones, and fewer of them", () => {
  const sim = createSimulation({ accounts: 3, seed: 3 });
  const seen = new Map<string, string[]>();
  for (let i = 0; i < 50_000; i++) {
    const ev = sim.next(0);
    if (ev.type !== "order") continue;
    const id = ev.data.order as string;
    seen.set(id, [...(seen.get(id) ?? []), ev.data.status as string]);
  }
  const counts = new Map<string, number>();
  for (const path of seen.values()) {
    assert.deepEqual(path, ["cart", "checkout", "paid", "shipped"].slice(0, path.length));
    for (const s of path) counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  const [cart, checkout, paid, shipped] = ["cart", "checkout", "paid", "shipped"].map((s) => counts.get(s) ?? 0);
  assert.ok((cart as number) > (checkout as number) && (checkout as number) > (paid as number));
  assert.ok((paid as number) >= (shipped as number) && (shipped as number) > 0);
});
