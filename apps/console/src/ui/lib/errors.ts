// Reads what an operator needs from a failed tRPC call: the message and, for invalid
// input, one entry per rejected field.

export interface FieldProblem {
  field: string;
  message: string;
}

export interface ApiProblem {
  code: string | undefined;
  message: string;
  fields: FieldProblem[];
}

/** Extracts the message, the tRPC code and the field-level issues of any thrown value. */
export function describeError(error: unknown): ApiProblem {
  if (!(error instanceof Error)) return { code: undefined, message: String(error), fields: [] };

  const data = (error as { data?: Record<string, unknown> | null }).data ?? {};
  const code = typeof data.code === "string" ? data.code : undefined;
  const fields: FieldProblem[] = [];

  // Issues from the service layer: [{ field, value, message }].
  if (Array.isArray(data.issues)) {
    for (const issue of data.issues as { field?: unknown; message?: unknown }[]) {
      if (typeof issue.field === "string" && typeof issue.message === "string") {
        fields.push({ field: issue.field, message: issue.message });
      }
    }
  }

  // Issues from zod input validation, flattened: { fieldErrors: { name: [messages] } }.
  const zodError = data.zodError as { fieldErrors?: Record<string, string[] | undefined> } | null | undefined;
  for (const [field, messages] of Object.entries(zodError?.fieldErrors ?? {})) {
    for (const message of messages ?? []) fields.push({ field, message });
  }

  return { code, message: error.message, fields };
}

/** Returns whether an issue's field path is `field` or lies inside it (`appPorts[1]`, `tls.keyType`). */
export function isWithin(path: string, field: string): boolean {
  return path === field || path.startsWith(`${field}[`) || path.startsWith(`${field}.`);
}

/** Returns the problems of one field joined, for showing next to its input. */
export function fieldMessage(error: unknown, field: string): string | undefined {
  if (!error) return undefined;
  const messages = describeError(error)
    .fields.filter((problem) => isWithin(problem.field, field))
    .map((problem) => problem.message);
  return messages.length > 0 ? messages.join("; ") : undefined;
}

/** Formats an issue as one line, naming the field unless the message already starts with it. */
export function issueLine(problem: FieldProblem): string {
  return problem.message.startsWith(problem.field) ? problem.message : `${problem.field}: ${problem.message}`;
}
