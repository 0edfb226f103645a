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

/**
 * Returns the problems of one field joined, for showing next to its input. With a label,
 * a message that starts with the internal path (`appPorts[1] 0 is out of range`) starts
 * with the label instead (`Protected ports 0 is out of range`), because the operator never sees the path in the form.
 */
export function fieldMessage(error: unknown, field: string, label?: string): string | undefined {
  if (!error) return undefined;
  const messages = describeError(error)
    .fields.filter((problem) => isWithin(problem.field, field))
    .map((problem) => (label ? relabel(problem, label) : problem.message));
  return messages.length > 0 ? messages.join("; ") : undefined;
}

/** Replaces a leading field path in an issue's message with the form's label for it. */
export function relabel(problem: FieldProblem, label: string): string {
  if (!problem.message.startsWith(problem.field)) return problem.message;
  const rest = problem.message.slice(problem.field.length);
  return `${label}${rest}`;
}

/** Returns the issues that no input shows next to itself, for listing in the error box. */
export function issuesNotInline(problem: ApiProblem, inline: readonly string[]): FieldProblem[] {
  return problem.fields.filter((issue) => !inline.some((field) => isWithin(issue.field, field)));
}

/** Formats an issue as one line, naming the field unless the message already starts with it. */
export function issueLine(problem: FieldProblem): string {
  return problem.message.startsWith(problem.field) ? problem.message : `${problem.field}: ${problem.message}`;
}
