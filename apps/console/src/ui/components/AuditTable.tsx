"use client";
// Table of audit events, shared by the audit page, the overview and the host page.
import { useLocale } from "../i18n";
import { actorBadge, isActorType } from "../lib/actor";
import { formatDateTime } from "../lib/time";

export interface AuditRow {
  id: string;
  at: string;
  actorType: string;
  actorName: string | null;
  action: string;
  targetType: string;
  targetId: string | null;
  sourceAddress: string | null;
  before?: unknown;
  after?: unknown;
}

/** Shows the actor's name (its type when it has none), with a type badge only where it adds to the name. */
function ActorCell({ actorType, actorName }: { actorType: string; actorName: string | null }) {
  const t = useLocale().t;
  const typeLabel = (type: string) => (isActorType(type) ? t(`audit.actorType.${type}`) : type);
  const badge = actorBadge(actorType, actorName);

  return (
    <>
      {actorName ?? typeLabel(actorType)}
      {badge && (
        <>
          {" "}
          <span className="badge">{typeLabel(badge)}</span>
        </>
      )}
    </>
  );
}

export function AuditTable({ events, showDetails = false }: { events: AuditRow[]; showDetails?: boolean }) {
  const { t, locale } = useLocale();
  return (
    <div className="table-wrap">
      <table className="responsive" data-testid="audit-table">
        <thead>
          <tr>
            <th>{t("audit.time")}</th>
            <th>{t("audit.actor")}</th>
            <th>{t("audit.action")}</th>
            <th>{t("audit.target")}</th>
            {showDetails && <th>{t("audit.source")}</th>}
            {showDetails && <th>{t("audit.details")}</th>}
          </tr>
        </thead>
        <tbody>
          {events.map((event) => (
            <tr key={event.id}>
              <td data-label={t("audit.time")} className="nowrap">
                {formatDateTime(event.at, locale)}
              </td>
              <td data-label={t("audit.actor")}>
                <ActorCell actorType={event.actorType} actorName={event.actorName} />
              </td>
              <td data-label={t("audit.action")} className="mono nowrap">
                {event.action}
              </td>
              <td data-label={t("audit.target")} className="nowrap">
                {event.targetType}
                {event.targetId && (
                  <span className="mono" title={event.targetId}>
                    {" "}
                    {event.targetId.slice(0, 8)}
                  </span>
                )}
              </td>
              {showDetails && <td data-label={t("audit.source")}>{event.sourceAddress ?? "—"}</td>}
              {showDetails && (
                <td data-label={t("audit.details")}>
                  {event.before || event.after ? (
                    <details>
                      <summary>{t("audit.details")}</summary>
                      <pre className="code">
                        {JSON.stringify({ before: event.before, after: event.after }, null, 2)}
                      </pre>
                    </details>
                  ) : (
                    "—"
                  )}
                </td>
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
