// PostgreSQL LISTEN/NOTIFY helpers. Every control-plane replica listens on CHANGES_CHANNEL.
// A mutation notifies in its own transaction, so the notification is sent only on commit.
import pg from "pg";
import { type DbLogger, silentLogger } from "./logger";

/** Channel that carries "desired state changed" notifications between replicas. */
export const CHANGES_CHANNEL = "tunnelfleet_changes";

/** PostgreSQL rejects NOTIFY payloads of 8000 bytes or more (default build). */
export const MAX_PAYLOAD_BYTES = 7999;

const CHANNEL_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;

/** Delay before the first reconnect of a listener. It doubles per failure up to the maximum. */
const RECONNECT_MIN_MS = 500;
const RECONNECT_MAX_MS = 30_000;

/** A node-postgres client or pool. */
export interface SqlQueryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/** A Prisma client or interactive transaction client. */
export interface PrismaExecutor {
  $executeRawUnsafe(query: string, ...values: unknown[]): Promise<number>;
}

export interface ListenOptions {
  log?: DbLogger;
  /**
   * Called after the listener reconnected following a lost connection. Notifications sent
   * while it was disconnected are lost, so callers re-read the state they follow.
   */
  onReconnect?: () => void;
}

export interface Listener {
  /** Stops listening and closes the connection. */
  close(): Promise<void>;
}

/**
 * Sends `payload` on `channel` through `executor`. Inside a transaction PostgreSQL delivers
 * it only when the transaction commits, and drops it on rollback.
 */
export async function notify(
  executor: SqlQueryable | PrismaExecutor,
  channel: string,
  payload: string,
): Promise<void> {
  checkChannel(channel);
  const size = Buffer.byteLength(payload, "utf8");
  if (size > MAX_PAYLOAD_BYTES) {
    throw new Error(
      `NOTIFY payload on ${channel} is ${size} bytes, above the limit of ${MAX_PAYLOAD_BYTES}: send ids and let listeners read the rest`,
    );
  }

  if ("$executeRawUnsafe" in executor) {
    await executor.$executeRawUnsafe("SELECT pg_notify($1, $2)", channel, payload);
  } else {
    await executor.query("SELECT pg_notify($1, $2)", [channel, payload]);
  }
}

/**
 * Opens a dedicated connection that LISTENs on `channel` and calls `onPayload` for each
 * notification. When the connection drops, it reconnects with exponential backoff and
 * calls `options.onReconnect`.
 */
export async function listen(
  url: string,
  channel: string,
  onPayload: (payload: string) => void,
  options: ListenOptions = {},
): Promise<Listener> {
  checkChannel(channel);
  const log = options.log ?? silentLogger;
  let closed = false;
  let client: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;
  let delay = RECONNECT_MIN_MS;

  const connect = async (): Promise<pg.Client> => {
    const next = new pg.Client({ connectionString: url });
    next.on("notification", (message) => {
      if (message.channel === channel) onPayload(message.payload ?? "");
    });
    next.on("error", (error) => {
      log.warn({ channel, err: error.message }, "LISTEN connection failed");
    });
    next.on("end", () => {
      if (closed || client !== next) return;
      client = undefined;
      scheduleReconnect();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${next.escapeIdentifier(channel)}`);
    } catch (error) {
      await next.end().catch(() => undefined);
      throw error;
    }
    return next;
  };

  const scheduleReconnect = (): void => {
    log.warn({ channel, retryInMs: delay }, "LISTEN connection lost, reconnecting");
    retryTimer = setTimeout(async () => {
      retryTimer = undefined;
      if (closed) return;
      try {
        const next = await connect();
        if (closed) {
          await next.end();
          return;
        }
        client = next;
        delay = RECONNECT_MIN_MS;
        log.info({ channel }, "LISTEN connection restored");
        options.onReconnect?.();
      } catch (error) {
        log.warn({ channel, err: (error as Error).message }, "LISTEN reconnect failed");
        delay = Math.min(delay * 2, RECONNECT_MAX_MS);
        scheduleReconnect();
      }
    }, delay);
  };

  client = await connect();

  return {
    async close() {
      if (closed) return;
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const current = client;
      client = undefined;
      await current?.end();
    },
  };
}

function checkChannel(channel: string): void {
  if (!CHANNEL_PATTERN.test(channel)) {
    throw new Error(
      `invalid channel name ${JSON.stringify(channel)}: use lower-case letters, digits and underscores (at most 63)`,
    );
  }
}
