"use client";
// List of clusters with their preset, ports, policy and member count.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { Empty, QueryState } from "../components/feedback";
import { useT } from "../i18n";
import { useCan } from "../session";
import { useTRPC } from "../trpc";

export function ClustersPage() {
  const t = useT();
  const trpc = useTRPC();
  const canEdit = useCan("operator");
  const clusters = useQuery(trpc.clusters.list.queryOptions());

  return (
    <>
      <div className="page-header">
        <h1>{t("clusters.title")}</h1>
        {canEdit && (
          <Link className="button" href="/clusters/new">
            {t("clusters.new")}
          </Link>
        )}
      </div>
      <section className="panel">
        <QueryState query={clusters}>
          {(list) =>
            list.length === 0 ? (
              <Empty>{t("clusters.empty")}</Empty>
            ) : (
              <div className="table-wrap">
                <table className="responsive">
                  <thead>
                    <tr>
                      <th>{t("common.name")}</th>
                      <th>{t("clusters.preset")}</th>
                      <th>{t("clusters.ports")}</th>
                      <th>{t("clusters.tlsPolicy")}</th>
                      <th>{t("clusters.members")}</th>
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((cluster) => (
                      <tr key={cluster.id}>
                        <td data-label={t("common.name")}>
                          <Link href={`/clusters/${cluster.id}`}>{cluster.name}</Link>
                          {cluster.strict && <span className="badge ok"> {t("clusters.strict")}</span>}
                        </td>
                        <td data-label={t("clusters.preset")}>{cluster.preset}</td>
                        <td data-label={t("clusters.ports")} className="mono">
                          {cluster.appPorts.join(", ")}
                        </td>
                        <td data-label={t("clusters.tlsPolicy")}>
                          {t("cluster.policySummary", {
                            keyType: cluster.tls.keyType,
                            days: cluster.tls.leafLifetimeDays,
                            tls: cluster.tls.minTlsVersion,
                          })}
                        </td>
                        <td data-label={t("clusters.members")}>{cluster.members.length}</td>
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
