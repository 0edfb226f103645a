// Server settings from the environment. Every variable is optional.
import { hostname } from "node:os";
import { resolve } from "node:path";

export interface ServerConfig {
  /** TUNNELFLEET_LISTEN: address of the console (UI, tRPC, REST, /metrics, /healthz). */
  listen: { host: string; port: number };
  /** DATABASE_URL; when absent, an embedded PostgreSQL runs in `dataDir`. */
  databaseUrl: string | undefined;
  /** TUNNELFLEET_DATA_DIR: embedded database and master.key. */
  dataDir: string;
  /** TUNNELFLEET_MASTER_KEY: 32+ bytes as base64 or hex; else `<dataDir>/master.key`. */
  masterKeyText: string | undefined;
  /** TUNNELFLEET_ADMIN_PASSWORD: creates the user `admin` when no user exists. */
  adminPassword: string | undefined;
  /** TUNNELFLEET_GATEWAY_URL: the URL agents use, as printed in join commands. */
  gatewayUrl: string;
  /** TUNNELFLEET_GATEWAY_LISTEN: address of the agent gateway, or null for "off". */
  gatewayListen: { host: string; port: number } | null;
}

export const DEFAULT_LISTEN = "127.0.0.1:3000";
export const DEFAULT_GATEWAY_PORT = 8443;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Parses "host:port", "[v6]:port" or ":port" (all interfaces). */
export function parseListen(variable: string, value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(value.trim());
  const port = match ? Number(match[3]) : Number.NaN;
  if (!match || port > 65535) {
    throw new ConfigError(
      `${variable}=${JSON.stringify(value)} is invalid: use host:port, [ipv6]:port or :port, for example 127.0.0.1:3000`,
    );
  }
  return { host: match[1] ?? (match[2] || "0.0.0.0"), port };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const gatewayUrl = env.TUNNELFLEET_GATEWAY_URL || `https://${hostname()}:${DEFAULT_GATEWAY_PORT}`;
  let gatewayPort = DEFAULT_GATEWAY_PORT;
  try {
    const parsed = new URL(gatewayUrl);
    if (parsed.protocol !== "https:") throw new Error("not https");
    gatewayPort = parsed.port ? Number(parsed.port) : 443;
  } catch {
    throw new ConfigError(
      `TUNNELFLEET_GATEWAY_URL=${JSON.stringify(gatewayUrl)} is invalid: give an https URL such as https://console.example:8443`,
    );
  }

  const gatewayListenText = env.TUNNELFLEET_GATEWAY_LISTEN ?? `:${gatewayPort}`;
  return {
    listen: parseListen("TUNNELFLEET_LISTEN", env.TUNNELFLEET_LISTEN || DEFAULT_LISTEN),
    databaseUrl: env.DATABASE_URL || undefined,
    dataDir: resolve(env.TUNNELFLEET_DATA_DIR || ".tunnelfleet"),
    masterKeyText: env.TUNNELFLEET_MASTER_KEY || undefined,
    adminPassword: env.TUNNELFLEET_ADMIN_PASSWORD || undefined,
    gatewayUrl: gatewayUrl.replace(/\/+$/, ""),
    gatewayListen:
      gatewayListenText === "off" ? null : parseListen("TUNNELFLEET_GATEWAY_LISTEN", gatewayListenText),
  };
}
