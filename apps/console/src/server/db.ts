// The database types the server uses, in one place so that services do not depend on
// where @tunnelfleet/db keeps its generated Prisma client.
import type { Prisma, PrismaClient } from "@tunnelfleet/db";

export type { Prisma, PrismaClient };

/** A Prisma client or the client of an open interactive transaction. */
export type Db = PrismaClient | Prisma.TransactionClient;
export type Tx = Prisma.TransactionClient;
