// Logging interface of the database helpers. A pino logger satisfies it, so apps pass
// their own logger. Tests and scripts may leave it out.

export interface DbLogger {
  debug(fields: Record<string, unknown>, message: string): void;
  info(fields: Record<string, unknown>, message: string): void;
  warn(fields: Record<string, unknown>, message: string): void;
  error(fields: Record<string, unknown>, message: string): void;
}

function ignore(): void {}

/** Logger that drops every event. */
export const silentLogger: DbLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
