// /healthz: 200 when a database query succeeds, 503 otherwise.
import type { ServerResponse } from "node:http";
import type { Logger } from "pino";
import type { PrismaClient } from "../db";

export async function serveHealth(prisma: PrismaClient, logger: Logger, res: ServerResponse): Promise<void> {
  res.setHeader("content-type", "application/json");
  res.setHeader("cache-control", "no-store");
  try {
    await prisma.$queryRaw`SELECT 1`;
    res.statusCode = 200;
    res.end(JSON.stringify({ status: "ok", database: "ok" }));
  } catch (error) {
    logger.warn({ err: error }, "health check failed: database query failed");
    res.statusCode = 503;
    res.end(JSON.stringify({ status: "unavailable", database: "unreachable" }));
  }
}
