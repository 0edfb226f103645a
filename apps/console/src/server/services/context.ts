// Inputs of every service call: the database, the master key and the acting actor.
import type { Logger } from "pino";
import type { PrismaClient } from "../db";

export type Role = "admin" | "operator" | "viewer";

/** Rank of each role: a higher rank may do everything a lower one may. */
export const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export function roleAtLeast(role: Role, minimum: Role): boolean {
  return ROLE_RANK[role] >= ROLE_RANK[minimum];
}

/** Actor of a change, written to every audit event. */
export interface Actor {
  type: "user" | "api_token" | "agent" | "system";
  /** User id, API token id or host id; null for the system. */
  id: string | null;
  /** Username, token name or host name, as shown in the audit log. */
  name: string;
  /** Role the actor acts with; an API token acts with its own role, never its creator's. */
  role: Role | null;
  /** The user behind a session or API token. */
  userId: string | null;
  /** Client address of the request, when there is one. */
  sourceAddress: string | null;
}

export const SYSTEM_ACTOR: Actor = {
  type: "system",
  id: null,
  name: "system",
  role: "admin",
  userId: null,
  sourceAddress: null,
};

/** Long-lived dependencies shared by all services of one server. */
export interface ServiceDeps {
  prisma: PrismaClient;
  /** Key that seals CA private keys. Never stored in the database. */
  masterKey: Buffer;
  logger: Logger;
  /** URL agents use to reach the gateway; goes into join commands. */
  gatewayUrl: string;
}
