// The gateway's change feed: LISTEN on the changes channel through @tunnelfleet/db. After
// a reconnect it reports a resync of every host, because notifications sent while the
// connection was down are lost.

import { CHANGES_CHANNEL, listen } from "@tunnelfleet/db";
import type { Logger } from "pino";
import type { ChangeFeed } from "./types";

/** Parses a NOTIFY payload; null for anything but {hostIds: string[], reason?: string}. */
export function parseChangePayload(payload: string): { hostIds: string[]; reason: string } | null {
  try {
    const value = JSON.parse(payload) as { hostIds?: unknown; reason?: unknown };
    if (!Array.isArray(value.hostIds) || !value.hostIds.every((id) => typeof id === "string")) return null;
    return {
      hostIds: value.hostIds as string[],
      reason: typeof value.reason === "string" ? value.reason : "unknown",
    };
  } catch {
    return null;
  }
}

/** Creates a ChangeFeed over a dedicated LISTEN connection; hostIds ["*"] means every host. */
export function createPgChangeFeed(databaseUrl: string, log: Logger): ChangeFeed {
  return {
    async subscribe(onChange) {
      const listener = await listen(
        databaseUrl,
        CHANGES_CHANNEL,
        (payload) => {
          const change = parseChangePayload(payload);
          if (!change) {
            log.warn({ channel: CHANGES_CHANNEL }, "ignoring a change notification with an invalid payload");
            return;
          }
          onChange(change);
        },
        {
          log,
          onReconnect: () => {
            log.info("change feed reconnected; resynchronising every session");
            onChange({ hostIds: ["*"], reason: "resync" });
          },
        },
      );
      log.info({ channel: CHANGES_CHANNEL }, "listening for changes");
      return () => listener.close();
    },
  };
}
