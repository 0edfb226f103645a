"use client";
// Small status blocks every page uses: the error box (with the API's field errors), the
// empty state and the loading line.
import type { ReactNode } from "react";
import { useT } from "../i18n";
import { describeError, issueLine, issuesNotInline } from "../lib/errors";

/**
 * Shows a failed request once. `inline` lists the fields whose issues the form already
 * shows next to their inputs. Those issues are not repeated here, and when they are all
 * the issues there are, the box is not rendered.
 */
export function ErrorBox({
  error,
  onRetry,
  inline = [],
}: {
  error: unknown;
  onRetry?: () => void;
  inline?: readonly string[];
}) {
  const t = useT();
  if (!error) return null;
  const problem = describeError(error);
  const remaining = issuesNotInline(problem, inline);
  if (problem.fields.length > 0 && remaining.length === 0) return null;

  // A single issue is often the whole message, so only issues that add to it are listed.
  const details = remaining.filter(
    (field) => issueLine(field) !== problem.message && field.message !== problem.message,
  );

  return (
    <div className="error-box" role="alert">
      <strong>{t("common.errorTitle")}</strong>
      <p>{problem.message}</p>
      {details.length > 0 && (
        <ul>
          {details.map((field) => (
            <li key={`${field.field}:${field.message}`}>{issueLine(field)}</li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button type="button" className="button secondary" onClick={onRetry}>
          {t("common.retry")}
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function Loading() {
  const t = useT();
  return (
    <p className="loading" aria-busy="true">
      {t("common.loading")}
    </p>
  );
}

/** Renders the loading line or the error box until `data` is present. */
export function QueryState<T>({
  query,
  children,
}: {
  query: { data: T | undefined; error: unknown; refetch: () => unknown; isPending: boolean };
  children: (data: T) => ReactNode;
}) {
  if (query.data !== undefined) return <>{children(query.data)}</>;
  if (query.error) return <ErrorBox error={query.error} onRetry={() => query.refetch()} />;
  return <Loading />;
}
