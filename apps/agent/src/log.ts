// The agent's structured logger (pino, one JSON event per line on stderr). Callers pass
// ids (hostId, generation, bundleHash), never keys, tokens or certificate bodies.
import { type Logger, pino } from "pino";

export type { Logger };

export function createLogger(level = process.env.TUNNELFLEET_LOG_LEVEL ?? "info"): Logger {
  return pino({ name: "tunnelfleet-agent", level }, pino.destination(2));
}

/** Creates a logger that drops everything, for tests and one-shot CLI commands. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
