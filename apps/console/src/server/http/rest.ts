// REST for automation at /api/v1: the tRPC procedures that carry OpenAPI metadata, served
// by trpc-to-openapi over the same context (bearer tokens or session cookies) and the
// same role checks, plus the OpenAPI 3 document at /api/v1/openapi.json.
//
// Errors leave as HTTP status + `{ error, code, issues: [{ field, value, message }] }`.
import type { IncomingMessage, ServerResponse } from "node:http";
import { createOpenApiNodeHttpHandler, generateOpenApiDocument, type OpenAPIObject } from "trpc-to-openapi";
import type { AppServices } from "../app-services";
import { createRequestContext } from "../trpc/init";
import { appRouter } from "../trpc/router";

export const REST_PREFIX = "/api/v1";

const documents = new Map<string, OpenAPIObject>();

/** Returns the OpenAPI 3 document of the REST API, generated once per base URL. */
export function openApiDocument(baseUrl: string): OpenAPIObject {
  const cached = documents.get(baseUrl);
  if (cached) return cached;
  const document = generateOpenApiDocument(appRouter, {
    title: "Tunnelfleet API",
    version: "1",
    description:
      "Automation API of the Tunnelfleet control plane. Authenticate with `Authorization: Bearer <API token>`.",
    baseUrl,
    securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "An API token (tfa_...)" } },
  });
  documents.set(baseUrl, document);
  return document;
}

/** Response stand-in that collects what the adapter writes, so the error body can be reshaped. */
class CollectedResponse {
  statusCode = 200;
  readonly headers = new Map<string, string | number | readonly string[]>();
  body = "";

  setHeader(name: string, value: string | number | readonly string[]): this {
    this.headers.set(name.toLowerCase(), value);
    return this;
  }

  getHeader(name: string) {
    return this.headers.get(name.toLowerCase());
  }

  end(chunk?: string): this {
    if (typeof chunk === "string") this.body += chunk;
    return this;
  }

  once(): this {
    return this;
  }

  on(): this {
    return this;
  }
}

interface AdapterErrorBody {
  message?: string;
  code?: string;
  data?: { issues?: unknown[] };
}

/** Rewrites the adapter's error body into the documented `{ error, code, issues }` shape. */
function restErrorBody(raw: string): string {
  let parsed: AdapterErrorBody;
  try {
    parsed = JSON.parse(raw) as AdapterErrorBody;
  } catch {
    return JSON.stringify({ error: "internal error", code: "INTERNAL_SERVER_ERROR", issues: [] });
  }
  return JSON.stringify({
    error: parsed.message ?? "request failed",
    code: parsed.code ?? "INTERNAL_SERVER_ERROR",
    issues: parsed.data?.issues ?? [],
  });
}

/** Returns the handler of every /api/v1 request except the OpenAPI document. */
export function createRestHandler(
  services: AppServices,
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const handler = createOpenApiNodeHttpHandler({
    router: appRouter,
    createContext: ({ req }: { req: IncomingMessage }) => createRequestContext(services, req, null),
    onError: ({ error, path }) => {
      if (error.code === "INTERNAL_SERVER_ERROR") {
        services.logger.error({ err: error.cause ?? error, path }, "REST request failed");
      }
    },
    maxBodySize: 1024 * 1024,
  });

  return async (req, res) => {
    // The adapter matches paths relative to the API root.
    const original = req.url ?? "/";
    req.url = original.slice(REST_PREFIX.length) || "/";
    const collected = new CollectedResponse();
    try {
      await handler(req, collected as unknown as ServerResponse);
    } finally {
      req.url = original;
    }

    const body = collected.statusCode >= 400 ? restErrorBody(collected.body) : collected.body;
    res.statusCode = collected.statusCode;
    for (const [name, value] of collected.headers) res.setHeader(name, value);
    res.setHeader("content-type", "application/json");
    res.setHeader("cache-control", "no-store");
    res.end(body);
  };
}
