import { destination, type Logger, pino } from "pino";

export type { Logger };

export function createLogger(level: string): Logger {
  return pino({ level, base: { service: "stats-server" } }, destination({ dest: 2, sync: false }));
}

/**
 * Logs at most `perWindow` messages per key per window; the rest are summarised once the window
 * ends, so a flood of bad input cannot flood the log.
 */
export function createRateLimitedLog(log: Logger, windowMs = 10_000, perWindow = 5) {
  const windows = new Map<string, { until: number; logged: number; suppressed: number }>();
  return (key: string, fields: Record<string, unknown>, msg: string) => {
    const now = Date.now();
    let w = windows.get(key);
    if (!w || now >= w.until) {
      if (w && w.suppressed > 0) log.warn({ key, suppressed: w.suppressed }, "suppressed repeated warnings");
      w = { until: now + windowMs, logged: 0, suppressed: 0 };
      windows.set(key, w);
    }
    if (w.logged < perWindow) {
      w.logged++;
      log.warn(fields, msg);
    } else {
      w.suppressed++;
    }
  };
}
