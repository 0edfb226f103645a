// Errors that services throw. They carry no HTTP or tRPC detail: the tRPC layer maps each
// kind to a status (see trpc/errors.ts), and the gateway maps them to protocol errors.

/** One rejected input value, with the dotted path of the field that contains it. */
export interface FieldIssue {
  field: string;
  value: unknown;
  message: string;
}

export class ServiceError extends Error {
  override name = "ServiceError";
}

/** Invalid input. Nothing was written. */
export class InputError extends ServiceError {
  override name = "InputError";

  constructor(
    message: string,
    readonly issues: FieldIssue[],
  ) {
    super(message);
  }

  static field(field: string, value: unknown, message: string): InputError {
    return new InputError(`invalid ${field}: ${message}`, [{ field, value, message }]);
  }
}

export class NotFoundError extends ServiceError {
  override name = "NotFoundError";

  constructor(
    readonly kind: string,
    readonly id: string,
  ) {
    super(`${kind} ${id} not found`);
  }
}

/** The request conflicts with the current state, such as a name already in use. */
export class ConflictError extends ServiceError {
  override name = "ConflictError";

  constructor(
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
  }
}

/** The actor is authenticated but may not do this. */
export class PermissionError extends ServiceError {
  override name = "PermissionError";
}

/** Missing, wrong or expired credentials. */
export class AuthenticationError extends ServiceError {
  override name = "AuthenticationError";
}

/** Too many attempts; `retryAfterSeconds` is the wait before the next one may succeed. */
export class RateLimitError extends ServiceError {
  override name = "RateLimitError";

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}
