/**
 * The arguments of a window of docs/contract.md §7, the same on `series`, `funnelSeries` and `top`
 * (granularity; from/to or the last N segments; a time zone), and the window request they make.
 */
import type { Granularity } from "../../domain/period.js";
import type { WindowRequest } from "../../domain/window.js";
import type { builder } from "./builder.js";
import { GranularityEnum } from "./stats.js";

type ArgFactory = Parameters<Parameters<typeof builder.args>[0]>[0];

/** The window's arguments, to spread into a field's own (they keep this order in introspection). */
export const windowArgs = (t: ArgFactory) => ({
  granularity: t.field({
    type: GranularityEnum,
    required: true,
    description: "the unit the window is aligned to (and `last` counts)",
  }),
  from: t.field({ type: "DateTime", description: "window start (with to); moved back to the start of its segment" }),
  to: t.field({
    type: "DateTime",
    description: "window end, exclusive (with from); moved forward to its segment's end",
  }),
  last: t.int({ description: "instead of from/to: the N segments ending with the current one (which is partial)" }),
  timeZone: t.string({ defaultValue: "UTC", description: "an IANA zone name (America/Santiago) or UTC" }),
});

export interface WindowArgs {
  granularity: Granularity;
  from?: Date | null | undefined;
  to?: Date | null | undefined;
  last?: number | null | undefined;
  timeZone?: string | null | undefined;
}

/** The window the arguments ask for, still unchecked (resolveWindow checks it). */
export function windowRequest(args: WindowArgs): WindowRequest {
  return {
    granularity: args.granularity,
    timeZone: args.timeZone ?? "UTC",
    from: args.from?.getTime(),
    to: args.to?.getTime(),
    last: args.last ?? undefined,
  };
}
