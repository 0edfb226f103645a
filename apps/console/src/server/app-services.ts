// Everything a request handler may use, created once per server by startServer.
import type { LoginRateLimiter } from "./auth/rate-limit";
import type { ServiceDeps } from "./services/context";

export interface AppServices extends ServiceDeps {
  loginLimiter: LoginRateLimiter;
  /** Marks the session cookie `Secure`; set when the console is served over HTTPS. */
  secureCookies: boolean;
}
