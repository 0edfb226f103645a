// Next.js settings of the console. The custom server (server.ts) wraps this app and adds
// tRPC, REST, metrics and the agent gateway, so nothing here binds ports.
import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The workspace packages export TypeScript sources directly (no build step).
  transpilePackages: ["@tunnelfleet/mesh", "@tunnelfleet/protocol"],
  // `npm run typecheck` (tsc over tsconfig.json and src/ui/tsconfig.json) checks types;
  // the build does not repeat it.
  typescript: { ignoreBuildErrors: true },
};

export default config;
