// Prisma CLI configuration. The server reads its database URL itself, so this file only
// serves `prisma generate`, `prisma validate` and `prisma studio`.
import { defineConfig } from "prisma/config";

export default defineConfig({
  schema: "prisma/schema.prisma",
  migrations: { path: "prisma/migrations" },
  // env("DATABASE_URL") would throw when the variable is unset, which generate does not need.
  datasource: { url: process.env.DATABASE_URL ?? "" },
});
