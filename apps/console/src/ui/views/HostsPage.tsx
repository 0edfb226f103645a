"use client";
// List of hosts: online state, clusters, desired vs applied generation, last seen.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Empty, QueryState } from "../components/feedback";
import { useLocale } from "../i18n";
import { formatDateTime } from "../lib/time";
import { useTRPC } from "../trpc";

const POLL_MS = 5_000;

export function HostsPage() {
  const { t, locale } = useLocale();
  const trpc = useTRPC();
  const hosts = useQuery(trpc.hosts.list.queryOptions(undefined, { refetchInterval: POLL_MS }));

  return (
    <>
      <div className="page-header">
        <h1>{t("hosts.title")}</h1>
      </div>
      <section className="panel">
        <QueryState query={hosts}>
          {(list) =>
            list.length === 0 ? (
              <Empty>{t("hosts.empty")}</Empty>
            ) : (
              <div className="table-wrap">
                <table className="responsive" data-testid="hosts-table">
                  <thead>
                    <tr>
                      <th>{t("common.name")}</th>
                      <th>{t("cluster.status")}</th>
                      <th>{t("hosts.clusters")}</th>
                      <th>{t("hosts.generation")}</th>
                      <th>{t("hosts.lastSeen")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((host) => (
                      <tr key={host.id}>
                        <td data-label={t("common.name")}>
                          <Link href={`/hosts/${host.id}`}>{host.name}</Link>
                        </td>
                        <td data-label={t("cluster.status")}>
                          <span className={host.observed?.connected ? "badge ok" : "badge"}>
                            {host.observed?.connected ? t("hosts.online") : t("hosts.offline")}
                          </span>{" "}
                          <span className={host.inSync ? "badge ok" : "badge warn"}>
                            {host.inSync ? t("host.inSync") : t("host.behind")}
                          </span>
                        </td>
                        <td data-label={t("hosts.clusters")}>
                          {host.memberships.length === 0
                            ? t("common.none")
                            : host.memberships.map((membership, index) => (
                                <span key={membership.clusterId}>
                                  {index > 0 && ", "}
                                  <Link href={`/clusters/${membership.clusterId}`}>
                                    {membership.clusterName}
                                  </Link>
                                </span>
                              ))}
                        </td>
                        <td data-label={t("hosts.generation")} className="mono">
                          {host.observed?.generation ?? "—"} / {host.desired?.generation ?? "—"}
                        </td>
                        <td data-label={t("hosts.lastSeen")}>
                          {host.observed?.lastSeenAt
                            ? formatDateTime(host.observed.lastSeenAt, locale)
                            : t("common.never")}
                        </td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )
          }
        </QueryState>
      </section>
    </>
  );
}
