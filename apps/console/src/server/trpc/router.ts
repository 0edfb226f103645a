// The console's API: one router per domain. `AppRouter` is the type the UI's tRPC client
// uses; the REST layer (/api/v1) exposes the procedures that carry OpenAPI metadata.
import { createCallerFactory, router } from "./init";
import { apiTokensRouter } from "./routers/api-tokens";
import { auditRouter } from "./routers/audit";
import { authRouter } from "./routers/auth";
import { certificateAuthoritiesRouter } from "./routers/certificate-authorities";
import { certificatesRouter } from "./routers/certificates";
import { clustersRouter } from "./routers/clusters";
import { configPreviewRouter } from "./routers/config-preview";
import { hostsRouter } from "./routers/hosts";
import { joinTokensRouter } from "./routers/join-tokens";
import { membersRouter } from "./routers/members";
import { stateRouter } from "./routers/state";
import { usersRouter } from "./routers/users";

export const appRouter = router({
  auth: authRouter,
  clusters: clustersRouter,
  members: membersRouter,
  hosts: hostsRouter,
  joinTokens: joinTokensRouter,
  certificateAuthorities: certificateAuthoritiesRouter,
  certificates: certificatesRouter,
  state: stateRouter,
  configPreview: configPreviewRouter,
  audit: auditRouter,
  users: usersRouter,
  apiTokens: apiTokensRouter,
});

export type AppRouter = typeof appRouter;

/** Calls procedures in-process with a context from createCallerContext (tests, scripts). */
export const createCaller = createCallerFactory(appRouter);
