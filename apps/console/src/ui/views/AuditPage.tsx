"use client";
// Audit log with filters (action, actor, target type, time range) and cursor pagination.
import { useInfiniteQuery } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { AuditTable } from "../components/AuditTable";
import { Field } from "../components/Field";
import { Empty, ErrorBox, Loading } from "../components/feedback";
import { useT } from "../i18n";
import { useTRPC } from "../trpc";

interface Filters {
  action: string;
  actor: string;
  targetType: string;
  from: string;
  to: string;
}

const NO_FILTERS: Filters = { action: "", actor: "", targetType: "", from: "", to: "" };

const PAGE_SIZE = 50;

/** Turns the form's values into the API's filter input, leaving out empty ones. */
function toQuery(filters: Filters) {
  return {
    limit: PAGE_SIZE,
    action: filters.action.trim() || undefined,
    actor: filters.actor.trim() || undefined,
    targetType: filters.targetType.trim() || undefined,
    // datetime-local values are in the browser's time zone.
    from: filters.from ? new Date(filters.from).toISOString() : undefined,
    to: filters.to ? new Date(filters.to).toISOString() : undefined,
  };
}

export function AuditPage() {
  const t = useT();
  const trpc = useTRPC();
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const [applied, setApplied] = useState<Filters>(NO_FILTERS);
  const events = useInfiniteQuery(
    trpc.audit.list.infiniteQueryOptions(toQuery(applied), {
      getNextPageParam: (page) => page.nextCursor ?? undefined,
    }),
  );

  const set = (key: keyof Filters, value: string) => setDraft({ ...draft, [key]: value });

  function submit(event: FormEvent) {
    event.preventDefault();
    setApplied(draft);
  }

  const rows = events.data?.pages.flatMap((page) => page.events) ?? [];

  return (
    <>
      <div className="page-header">
        <h1>{t("audit.title")}</h1>
      </div>
      <section className="panel">
        <form className="filters" onSubmit={submit} aria-label={t("audit.title")}>
          <Field label={t("audit.filterAction")}>
            <input
              name="action"
              value={draft.action}
              placeholder="cluster.create"
              onChange={(event) => set("action", event.target.value)}
            />
          </Field>
          <Field label={t("audit.filterActor")}>
            <input name="actor" value={draft.actor} onChange={(event) => set("actor", event.target.value)} />
          </Field>
          <Field label={t("audit.filterTarget")}>
            <input
              name="targetType"
              value={draft.targetType}
              placeholder="cluster"
              onChange={(event) => set("targetType", event.target.value)}
            />
          </Field>
          <Field label={t("audit.from")}>
            <input
              name="from"
              type="datetime-local"
              value={draft.from}
              onChange={(event) => set("from", event.target.value)}
            />
          </Field>
          <Field label={t("audit.to")}>
            <input
              name="to"
              type="datetime-local"
              value={draft.to}
              onChange={(event) => set("to", event.target.value)}
            />
          </Field>
          <div className="button-row">
            <button type="submit" className="button">
              {t("audit.apply")}
            </button>
            <button
              type="button"
              className="button secondary"
              onClick={() => {
                setDraft(NO_FILTERS);
                setApplied(NO_FILTERS);
              }}
            >
              {t("audit.reset")}
            </button>
          </div>
        </form>
      </section>
      <section className="panel">
        {events.error ? (
          <ErrorBox error={events.error} onRetry={() => events.refetch()} />
        ) : !events.data ? (
          <Loading />
        ) : rows.length === 0 ? (
          <Empty>{t("audit.empty")}</Empty>
        ) : (
          <>
            <AuditTable events={rows} showDetails />
            {events.hasNextPage && (
              <p>
                <button
                  type="button"
                  className="button secondary"
                  disabled={events.isFetchingNextPage}
                  onClick={() => events.fetchNextPage()}
                >
                  {t("common.loadMore")}
                </button>
              </p>
            )}
          </>
        )}
      </section>
    </>
  );
}
