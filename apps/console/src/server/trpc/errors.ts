// Mapping of service errors to tRPC errors, and the error shape clients receive:
// `data.issues` lists each rejected field as { field, value, message }.
import { TRPCError } from "@trpc/server";
import { MeshValidationError } from "@tunnelfleet/mesh";
import {
  AuthenticationError,
  ConflictError,
  type FieldIssue,
  InputError,
  NotFoundError,
  PermissionError,
  RateLimitError,
} from "../services/errors";

/** Converts an error thrown by a service into the TRPCError a client should see. */
export function toTrpcError(error: unknown): TRPCError | null {
  if (error instanceof TRPCError) return error;
  if (error instanceof InputError || error instanceof MeshValidationError) {
    return new TRPCError({ code: "BAD_REQUEST", message: error.message, cause: error });
  }
  if (error instanceof NotFoundError)
    return new TRPCError({ code: "NOT_FOUND", message: error.message, cause: error });
  if (error instanceof ConflictError)
    return new TRPCError({ code: "CONFLICT", message: error.message, cause: error });
  if (error instanceof PermissionError) {
    return new TRPCError({ code: "FORBIDDEN", message: error.message, cause: error });
  }
  if (error instanceof AuthenticationError) {
    return new TRPCError({ code: "UNAUTHORIZED", message: error.message, cause: error });
  }
  if (error instanceof RateLimitError) {
    return new TRPCError({ code: "TOO_MANY_REQUESTS", message: error.message, cause: error });
  }
  // A unique index rejected a row that a concurrent request inserted first.
  if (typeof error === "object" && error !== null && (error as { code?: unknown }).code === "P2002") {
    return new TRPCError({
      code: "CONFLICT",
      message: "the value is already in use: reload and retry",
      cause: error,
    });
  }
  return null;
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = input;
  for (const key of path) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<PropertyKey, unknown>)[key as string];
  }
  return current;
}

function fieldOf(path: readonly PropertyKey[]): string {
  return path.reduce<string>((field, key) => {
    if (typeof key === "number") return `${field}[${key}]`;
    return field ? `${field}.${String(key)}` : String(key);
  }, "");
}

/** Fields whose values never go back to a client, even when rejected. */
const HIDDEN_FIELDS = /password|secret|keyPem|token/i;

/** Returns the field issues an error carries: schema issues, service issues or none. */
export function issuesOf(error: TRPCError, input: unknown): FieldIssue[] {
  const cause = error.cause as { issues?: unknown } | undefined;
  if (cause instanceof InputError || cause instanceof ConflictError || cause instanceof MeshValidationError) {
    return cause.issues;
  }
  if (error.code === "BAD_REQUEST" && cause && Array.isArray(cause.issues)) {
    return (cause.issues as { path?: PropertyKey[]; message: string }[]).map((issue) => {
      const path = issue.path ?? [];
      const field = fieldOf(path) || "input";
      const value = HIDDEN_FIELDS.test(field) ? "(hidden)" : valueAt(input, path);
      return { field, value, message: `${field}: ${issue.message}` };
    });
  }
  return [];
}
