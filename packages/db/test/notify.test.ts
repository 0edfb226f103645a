import { afterEach, describe, expect, it } from "vitest";
import {
  CHANGES_CHANNEL,
  type Listener,
  type ListenOptions,
  listen,
  MAX_PAYLOAD_BYTES,
  notify,
} from "../src/notify";
import { createTestDatabase, type TestDatabase } from "../src/testing";
import { withClient } from "./helpers";

const cleanups: Array<() => Promise<void>> = [];

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

async function database(): Promise<TestDatabase> {
  const created = await createTestDatabase();
  cleanups.push(created.drop);
  return created;
}

/** Starts a listener that queues payloads. `next()` resolves with the next one. */
async function collect(url: string, channel: string, options: ListenOptions = {}) {
  const received: string[] = [];
  const waiters: Array<(payload: string) => void> = [];
  const listener: Listener = await listen(
    url,
    channel,
    (payload) => {
      const waiter = waiters.shift();
      if (waiter) waiter(payload);
      else received.push(payload);
    },
    options,
  );
  cleanups.push(() => listener.close());
  return {
    next: () =>
      new Promise<string>((resolvePayload) => {
        const queued = received.shift();
        if (queued !== undefined) resolvePayload(queued);
        else waiters.push(resolvePayload);
      }),
  };
}

describe("listen and notify", () => {
  it("delivers a payload across connections", async () => {
    const { url } = await database();
    const listener = await collect(url, CHANGES_CHANNEL);

    await withClient(url, (client) => notify(client, CHANGES_CHANNEL, '{"hostIds":["h1"]}'));

    expect(await listener.next()).toBe('{"hostIds":["h1"]}');
  });

  it("delivers a Prisma transaction's payload only on commit", async () => {
    const { url, prisma } = await database();
    const listener = await collect(url, CHANGES_CHANNEL);

    await expect(
      prisma.$transaction(async (tx) => {
        await notify(tx, CHANGES_CHANNEL, "rolled-back");
        throw new Error("abort");
      }),
    ).rejects.toThrow("abort");
    await prisma.$transaction(async (tx) => {
      await notify(tx, CHANGES_CHANNEL, "committed");
    });

    // Notifications arrive in commit order, so a rolled-back one would come first.
    expect(await listener.next()).toBe("committed");
  });

  it("ignores other channels", async () => {
    const { url } = await database();
    const listener = await collect(url, CHANGES_CHANNEL);

    await withClient(url, async (client) => {
      await notify(client, "other_channel", "elsewhere");
      await notify(client, CHANGES_CHANNEL, "mine");
    });

    expect(await listener.next()).toBe("mine");
  });

  it("reconnects after losing its connection", async () => {
    const { url } = await database();
    let reconnected!: () => void;
    const reconnect = new Promise<void>((resolveReconnect) => {
      reconnected = resolveReconnect;
    });
    const listener = await collect(url, CHANGES_CHANNEL, { onReconnect: () => reconnected() });

    const terminated = await withClient(url, async (client) => {
      const { rows } = await client.query<{ terminated: boolean }>(
        `SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity
          WHERE datname = current_database() AND pid <> pg_backend_pid() AND query LIKE 'LISTEN%'`,
      );
      return rows;
    });
    expect(terminated).toEqual([{ terminated: true }]);
    await reconnect;
    await withClient(url, (client) => notify(client, CHANGES_CHANNEL, "after-reconnect"));

    expect(await listener.next()).toBe("after-reconnect");
  });

  it("rejects an oversized payload", async () => {
    const { url } = await database();

    await expect(
      withClient(url, (client) => notify(client, CHANGES_CHANNEL, "x".repeat(MAX_PAYLOAD_BYTES + 1))),
    ).rejects.toThrow(/above the limit of 7999/);
  });

  it("rejects an invalid channel name", async () => {
    const { url } = await database();

    await expect(listen(url, 'bad"channel', () => {})).rejects.toThrow(/invalid channel name/);
  });
});
