"use client";
// Overview: counts of clusters, hosts and links, the certificates expiring soonest and
// the latest audit events. Refreshes every few seconds like the cluster page.
import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { AuditTable } from "../components/AuditTable";
import { Empty, ErrorBox, Loading } from "../components/feedback";
import { useLocale } from "../i18n";
import { countLinks, failedStatClass, healthyStatClass, readHealth } from "../lib/health";
import { daysUntil, expiryTone, formatDate } from "../lib/time";
import { useTRPC } from "../trpc";

const POLL_MS = 5_000;

export function OverviewPage() {
  const { t, locale } = useLocale();
  const trpc = useTRPC();
  const clusters = useQuery(trpc.clusters.list.queryOptions(undefined, { refetchInterval: POLL_MS }));
  const hosts = useQuery(trpc.hosts.list.queryOptions(undefined, { refetchInterval: POLL_MS }));
  const certificates = useQuery(trpc.certificates.list.queryOptions({ state: "active" }));
  const audit = useQuery(trpc.audit.list.queryOptions({ limit: 8 }, { refetchInterval: POLL_MS }));

  const error = clusters.error ?? hosts.error;
  if (error) {
    const retry = () => {
      void clusters.refetch();
      void hosts.refetch();
    };
    return <ErrorBox error={error} onRetry={retry} />;
  }
  if (!clusters.data || !hosts.data) return <Loading />;

  const online = hosts.data.filter((host) => host.observed?.connected).length;
  const offline = hosts.data.length - online;
  const healths = hosts.data.map((host) => readHealth(host.observed?.health));
  const links = countLinks(healths);
  const expiring = [...(certificates.data ?? [])]
    .filter((certificate) => certificate.purpose === "tunnel")
    .sort((a, b) => a.notAfter.localeCompare(b.notAfter))
    .slice(0, 5);

  return (
    <>
      <div className="page-header">
        <h1>{t("overview.title")}</h1>
      </div>
      <section className="stats" aria-label={t("overview.title")}>
        <div className="stat" data-testid="stat-clusters">
          <strong>{clusters.data.length}</strong>
          <span>{t("overview.clusters")}</span>
        </div>
        <div className={healthyStatClass(online, offline)} data-testid="stat-hosts-online">
          <strong>{online}</strong>
          <span>{t("overview.hostsOnline")}</span>
        </div>
        <div className={failedStatClass(offline)} data-testid="stat-hosts-offline">
          <strong>{offline}</strong>
          <span>{t("overview.hostsOffline")}</span>
        </div>
        <div className={healthyStatClass(links.ok, links.failing)} data-testid="stat-links-ok">
          <strong>{links.ok}</strong>
          <span>{t("overview.linksHealthy")}</span>
        </div>
        <div className={failedStatClass(links.failing)} data-testid="stat-links-failing">
          <strong>{links.failing}</strong>
          <span>{t("overview.linksFailing")}</span>
        </div>
      </section>

      {clusters.data.length === 0 ? (
        <div className="notice">
          {t("overview.getStarted")} <Link href="/clusters/new">{t("clusters.new")}</Link>
        </div>
      ) : (
        <section className="panel">
          <h2>{t("overview.clusters")}</h2>
          <div className="table-wrap">
            <table className="responsive" data-testid="overview-clusters">
              <thead>
                <tr>
                  <th>{t("common.name")}</th>
                  <th>{t("clusters.members")}</th>
                  <th>{t("overview.linksHealthy")}</th>
                  <th>{t("overview.linksFailing")}</th>
                </tr>
              </thead>
              <tbody>
                {clusters.data.map((cluster) => {
                  const clusterLinks = countLinks(healths, cluster.id);
                  return (
                    <tr key={cluster.id}>
                      <td data-label={t("common.name")}>
                        <Link href={`/clusters/${cluster.id}`}>{cluster.name}</Link>
                      </td>
                      <td data-label={t("clusters.members")}>{cluster.members.length}</td>
                      <td data-label={t("overview.linksHealthy")}>{clusterLinks.ok}</td>
                      <td data-label={t("overview.linksFailing")}>
                        <span className={clusterLinks.failing > 0 ? "badge failing" : "badge"}>
                          {clusterLinks.failing}
                        </span>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </section>
      )}

      <div>
        <section className="panel">
          <h2>{t("overview.expiringSoonest")}</h2>
          {certificates.error ? (
            <ErrorBox error={certificates.error} />
          ) : expiring.length === 0 ? (
            <Empty>{t("overview.noCertificates")}</Empty>
          ) : (
            <table className="responsive">
              <thead>
                <tr>
                  <th>{t("certs.host")}</th>
                  <th>{t("certs.notAfter")}</th>
                </tr>
              </thead>
              <tbody>
                {expiring.map((certificate) => {
                  const days = daysUntil(certificate.notAfter);
                  return (
                    <tr key={certificate.id}>
                      <td data-label={t("certs.host")}>
                        {certificate.hostId ? (
                          <Link href={`/hosts/${certificate.hostId}`}>{certificate.hostName}</Link>
                        ) : (
                          certificate.subject
                        )}
                      </td>
                      <td data-label={t("certs.notAfter")}>
                        {formatDate(certificate.notAfter, locale)}{" "}
                        <span className={`badge ${expiryTone(days)}`}>
                          {days < 0 ? t("certs.expired") : t("certs.daysLeft", { days })}
                        </span>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )}
        </section>
        <section className="panel">
          <h2>{t("overview.latestChanges")}</h2>
          {audit.error ? (
            <ErrorBox error={audit.error} />
          ) : !audit.data ? (
            <Loading />
          ) : audit.data.events.length === 0 ? (
            <Empty>{t("overview.noChanges")}</Empty>
          ) : (
            <AuditTable events={audit.data.events} />
          )}
          <p>
            <Link href="/audit">{t("nav.audit")} →</Link>
          </p>
        </section>
      </div>
    </>
  );
}
