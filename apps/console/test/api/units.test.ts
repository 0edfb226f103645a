// Pure pieces of the server: password hashing, login throttling, the CSRF check, config
// parsing and the master key file.
import { mkdtemp, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hashPassword, verifyPassword } from "../../src/server/auth/password";
import { LoginRateLimiter } from "../../src/server/auth/rate-limit";
import { ConfigError, loadConfig, parseListen } from "../../src/server/config";
import { loadMasterKey, MasterKeyError, parseMasterKey } from "../../src/server/master-key";
import { csrfProblem } from "../../src/server/trpc/csrf";

describe("password hashing", () => {
  it("verifies the right password only", async () => {
    const hash = await hashPassword("a long enough password");
    expect(hash.split("$")).toHaveLength(6);
    expect(await verifyPassword("a long enough password", hash)).toBe(true);
    expect(await verifyPassword("a long enough passworD", hash)).toBe(false);
  });

  it("salts every hash", async () => {
    expect(await hashPassword("same password here")).not.toBe(await hashPassword("same password here"));
  });

  it("rejects malformed stored hashes", async () => {
    expect(await verifyPassword("x", "")).toBe(false);
    expect(await verifyPassword("x", "bcrypt$1$2$3$4$5")).toBe(false);
    expect(await verifyPassword("x", "scrypt$0$8$1$AAAA$AAAA")).toBe(false);
  });
});

describe("login rate limiter", () => {
  it("blocks after the budget and reopens after the window", () => {
    let now = 1_000_000;
    const limiter = new LoginRateLimiter({ maxFailures: 2, windowMs: 10_000, now: () => now });
    expect(limiter.retryAfterSeconds("alice", "10.0.0.1")).toBe(0);
    limiter.recordFailure("alice", "10.0.0.1");
    limiter.recordFailure("alice", "10.0.0.1");
    expect(limiter.retryAfterSeconds("alice", "10.0.0.1")).toBe(10);
    expect(limiter.retryAfterSeconds("ALICE", "10.0.0.1")).toBe(10);
    expect(limiter.retryAfterSeconds("alice", "10.0.0.2")).toBe(0);
    expect(limiter.retryAfterSeconds("bob", "10.0.0.1")).toBe(0);
    now += 10_000;
    expect(limiter.retryAfterSeconds("alice", "10.0.0.1")).toBe(0);
  });

  it("success clears the failures", () => {
    const limiter = new LoginRateLimiter({ maxFailures: 1, windowMs: 60_000 });
    limiter.recordFailure("carol", "::1");
    expect(limiter.retryAfterSeconds("carol", "::1")).toBeGreaterThan(0);
    limiter.recordSuccess("carol", "::1");
    expect(limiter.retryAfterSeconds("carol", "::1")).toBe(0);
  });

  it("bounds the number of tracked keys", () => {
    const limiter = new LoginRateLimiter({ maxFailures: 1, windowMs: 60_000, maxKeys: 10 });
    for (let index = 0; index < 50; index++) limiter.recordFailure(`user${index}`, "::1");
    expect(limiter.retryAfterSeconds("user49", "::1")).toBeGreaterThan(0);
    expect(limiter.retryAfterSeconds("user0", "::1")).toBe(0);
  });
});

describe("CSRF check", () => {
  it("requires the header", () => {
    expect(csrfProblem({ host: "console:3000" })).toMatch(/x-tunnelfleet-csrf/);
    expect(csrfProblem({ host: "console:3000", "x-tunnelfleet-csrf": "1" })).toBeNull();
  });

  it("rejects another origin", () => {
    const headers = { host: "console:3000", "x-tunnelfleet-csrf": "1" };
    expect(csrfProblem({ ...headers, origin: "http://console:3000" })).toBeNull();
    expect(csrfProblem({ ...headers, origin: "http://evil:3000" })).toMatch(/not this console's origin/);
    expect(csrfProblem({ ...headers, origin: "not a url" })).toMatch(/not a URL/);
  });
});

function env(values: Record<string, string>): NodeJS.ProcessEnv {
  return values as NodeJS.ProcessEnv;
}

describe("config", () => {
  it("parses listen addresses", () => {
    expect(parseListen("X", "127.0.0.1:3000")).toEqual({ host: "127.0.0.1", port: 3000 });
    expect(parseListen("X", "[::1]:8443")).toEqual({ host: "::1", port: 8443 });
    expect(parseListen("X", ":3000")).toEqual({ host: "0.0.0.0", port: 3000 });
    expect(() => parseListen("X", "3000")).toThrow(ConfigError);
    expect(() => parseListen("X", "host:99999")).toThrow(ConfigError);
  });

  it("applies defaults and reads variables", () => {
    const defaults = loadConfig(env({}));
    expect(defaults.listen).toEqual({ host: "127.0.0.1", port: 3000 });
    expect(defaults.databaseUrl).toBeUndefined();
    expect(defaults.gatewayUrl).toMatch(/^https:\/\/.+:8443$/);
    expect(defaults.gatewayListen).toEqual({ host: "0.0.0.0", port: 8443 });

    const set = loadConfig(
      env({
        TUNNELFLEET_LISTEN: "127.0.0.2:4000",
        DATABASE_URL: "postgres://u:p@127.0.0.1/db",
        TUNNELFLEET_GATEWAY_URL: "https://gw.example:9443/",
        TUNNELFLEET_GATEWAY_LISTEN: "off",
      }),
    );
    expect(set.listen).toEqual({ host: "127.0.0.2", port: 4000 });
    expect(set.databaseUrl).toBe("postgres://u:p@127.0.0.1/db");
    expect(set.gatewayUrl).toBe("https://gw.example:9443");
    expect(set.gatewayListen).toBeNull();
    expect(() => loadConfig(env({ TUNNELFLEET_GATEWAY_URL: "http://plain:80" }))).toThrow(ConfigError);
  });
});

describe("master key", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it("is generated once with mode 0600", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tunnelfleet-master-key-"));
    dirs.push(dir);
    const first = await loadMasterKey(undefined, join(dir, "data"));
    expect(first.source).toBe("generated");
    expect(first.key).toHaveLength(32);
    const file = join(dir, "data", "master.key");
    expect((await stat(file)).mode & 0o777).toBe(0o600);

    const second = await loadMasterKey(undefined, join(dir, "data"));
    expect(second.source).toBe("file");
    expect(second.key.equals(first.key)).toBe(true);
    expect((await readFile(file, "utf8")).trim()).toBe(first.key.toString("base64"));
  });

  it("accepts base64 or hex and rejects short keys", () => {
    const hex = "ab".repeat(32);
    expect(parseMasterKey("env", hex)).toEqual(Buffer.from(hex, "hex"));
    expect(parseMasterKey("env", Buffer.alloc(32, 7).toString("base64"))).toEqual(Buffer.alloc(32, 7));
    expect(() => parseMasterKey("env", "c2hvcnQ=")).toThrow(MasterKeyError);
  });
});
