// Prisma client factory: the generated client over node-postgres through @prisma/adapter-pg.
import { PrismaPg } from "@prisma/adapter-pg";
import { PrismaClient } from "./generated/prisma/client";

export interface PrismaClientOptions {
  /** Maximum connections in the client's pool (node-postgres default: 10). */
  maxConnections?: number;
}

/** Creates a Prisma client for `url`. Call `$disconnect()` when done to close its pool. */
export function createPrismaClient(url: string, options: PrismaClientOptions = {}): PrismaClient {
  const adapter = new PrismaPg({
    connectionString: url,
    ...(options.maxConnections === undefined ? {} : { max: options.maxConnections }),
  });
  return new PrismaClient({ adapter });
}

/** Returns `url` with its password replaced, for logs and error messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "redacted";
    return parsed.toString();
  } catch {
    return "<unparseable database URL>";
  }
}
