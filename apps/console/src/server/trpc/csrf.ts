// Cross-site request forgery defence for cookie-authenticated requests. A browser sends
// a custom header only on same-origin requests (or after a CORS preflight, which this
// server never approves), so a mutation that carries it did not come from another site.
// Requests with an `Authorization: Bearer` token carry no ambient credential and are exempt.

/** Header every cookie-authenticated mutation must carry. Shared with the console UI. */
export const CSRF_HEADER = "x-tunnelfleet-csrf";
export const CSRF_HEADER_VALUE = "1";

interface HeaderSource {
  [name: string]: string | string[] | undefined;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Returns null when the request may mutate, else the reason it may not: the CSRF header
 * is missing, or the `Origin` header names another origin than the request's `Host`.
 */
export function csrfProblem(headers: HeaderSource): string | null {
  if (first(headers[CSRF_HEADER]) !== CSRF_HEADER_VALUE) {
    return `missing ${CSRF_HEADER}: ${CSRF_HEADER_VALUE} header on a cookie-authenticated change`;
  }
  const origin = first(headers.origin);
  const host = first(headers.host);
  if (origin && origin !== "null") {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return `Origin ${JSON.stringify(origin)} is not a URL`;
    }
    if (originHost !== host) return `Origin ${origin} is not this console's origin`;
  }
  return null;
}
