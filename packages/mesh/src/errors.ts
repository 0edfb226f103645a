// The error the mesh package throws when its input fails validation.
import type { ValidationIssue } from "./model";

/** Invalid topology, plan input or render input; `issues` lists every rejected value. */
export class MeshValidationError extends Error {
  readonly issues: ValidationIssue[];

  constructor(issues: ValidationIssue[]) {
    const shown = issues
      .slice(0, 5)
      .map((issue) => issue.message)
      .join("; ");
    const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : "";
    super(`invalid mesh input: ${shown}${more}`);
    this.name = "MeshValidationError";
    this.issues = issues;
  }
}
