"use client";
// One host: desired vs applied generation, errors, health, the rendered stunnel.conf and
// iptables rules (with a diff against what the agent applied), certificate and events.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useEffect, useState } from "react";
import { AuditTable } from "../components/AuditTable";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Empty, ErrorBox, Loading, QueryState } from "../components/feedback";
import { LineDiff } from "../components/LineDiff";
import { useLocale } from "../i18n";
import { type RenderedConfig, recallApplied, rememberApplied } from "../lib/applied-config";
import { readHealth } from "../lib/health";
import { formatDateTime } from "../lib/time";
import { useCan } from "../session";
import { useTRPC } from "../trpc";

const POLL_MS = 3_000;

type ConfigTab = "stunnel" | "iptables";

export function HostPage({ id }: { id: string }) {
  const { t, locale } = useLocale();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const canDelete = useCan("operator");
  // Set once the host is deleted, so that polling stops before the page is left.
  const [deleted, setDeleted] = useState(false);
  const host = useQuery(trpc.hosts.get.queryOptions({ id }, { refetchInterval: POLL_MS, enabled: !deleted }));
  const [deleting, setDeleting] = useState(false);
  const destroy = useMutation(
    trpc.hosts.delete.mutationOptions({
      onSuccess: async () => {
        setDeleted(true);
        queryClient.removeQueries({ queryKey: trpc.hosts.get.queryKey({ id }) });
        await queryClient.invalidateQueries({ queryKey: trpc.hosts.list.queryKey() });
        router.push("/hosts");
      },
    }),
  );

  return (
    <QueryState query={host}>
      {(data) => {
        const observed = data.observed;
        const health = readHealth(observed?.health);
        return (
          <>
            <div className="page-header">
              <h1>{data.name}</h1>
              {canDelete && (
                <button type="button" className="button danger" onClick={() => setDeleting(true)}>
                  {t("common.delete")}
                </button>
              )}
            </div>
            <div className="grid-2">
              <section className="panel">
                <h2>{t("host.state")}</h2>
                <dl className="facts" data-testid="host-state">
                  <dt>{t("cluster.status")}</dt>
                  <dd>
                    <span className={observed?.connected ? "badge ok" : "badge"}>
                      {observed?.connected ? t("hosts.online") : t("hosts.offline")}
                    </span>{" "}
                    <span className={data.inSync ? "badge ok" : "badge warn"}>
                      {data.inSync ? t("host.inSync") : t("host.behind")}
                    </span>
                  </dd>
                  <dt>{t("host.desiredGeneration")}</dt>
                  <dd className="mono">{data.desired?.generation ?? "—"}</dd>
                  <dt>{t("host.appliedGeneration")}</dt>
                  <dd className="mono">{observed?.generation ?? "—"}</dd>
                  <dt>{t("host.appliedAt")}</dt>
                  <dd>{formatDateTime(observed?.appliedAt, locale)}</dd>
                  <dt>{t("hosts.lastSeen")}</dt>
                  <dd>
                    {observed?.lastSeenAt ? formatDateTime(observed.lastSeenAt, locale) : t("common.never")}
                  </dd>
                  <dt>{t("hosts.clusters")}</dt>
                  <dd>
                    {data.memberships.length === 0
                      ? t("common.none")
                      : data.memberships.map((membership, index) => (
                          <span key={membership.clusterId}>
                            {index > 0 && ", "}
                            <Link href={`/clusters/${membership.clusterId}`}>{membership.clusterName}</Link>{" "}
                            <span className="mono">{membership.address}</span>
                          </span>
                        ))}
                  </dd>
                </dl>
                {observed?.agentVersion && (
                  <p className="help">
                    {t("host.versions", {
                      agent: observed.agentVersion,
                      stunnel: observed.stunnelVersion ?? "?",
                      openssl: observed.opensslVersion ?? "?",
                      netfilter: observed.netfilterBackend ?? "?",
                    })}
                  </p>
                )}
                {observed?.applyOk === false ? (
                  <div className="error-box" role="alert">
                    <strong>{t("host.applyError")}</strong>
                    <pre className="code">{observed.applyError}</pre>
                  </div>
                ) : (
                  <p className="help">{t("host.noErrors")}</p>
                )}
              </section>
              <section className="panel">
                <h2>{t("host.health")}</h2>
                {!health ? (
                  <Empty>{t("host.noHealth")}</Empty>
                ) : (
                  <>
                    <dl className="facts">
                      <dt>{t("host.stunnelAlive")}</dt>
                      <dd>
                        <YesNo value={health.stunnelAlive} />
                      </dd>
                      <dt>{t("host.listenersUp")}</dt>
                      <dd>
                        {health.listenersUp.filter((listener) => listener.up).length} /{" "}
                        {health.listenersUp.length}
                      </dd>
                      <dt>{t("host.rulesPresent")}</dt>
                      <dd>
                        <YesNo value={health.rulesPresent} />
                      </dd>
                      <dt>{t("host.servedCertificate")}</dt>
                      <dd className="mono">
                        {health.servedCertificate
                          ? `${health.servedCertificate.serial} (${formatDateTime(health.servedCertificate.notAfter, locale)})`
                          : t("common.none")}
                      </dd>
                    </dl>
                    <h3>{t("host.probes")}</h3>
                    {health.probes.length === 0 ? (
                      <Empty>{t("common.none")}</Empty>
                    ) : (
                      <ul data-testid="probes">
                        {health.probes.map((probe) => (
                          <li key={`${probe.clusterId}:${probe.peerHostId}:${probe.port}`}>
                            <span className={probe.ok ? "badge ok" : "badge failing"}>
                              {probe.ok ? t("cluster.legendOk") : t("cluster.legendFailing")}
                            </span>{" "}
                            <span className="mono">
                              {probe.address}:{probe.port}
                            </span>
                            {probe.error && <span className="field-error"> {probe.error}</span>}
                          </li>
                        ))}
                      </ul>
                    )}
                  </>
                )}
              </section>
            </div>
            <ConfigPanel
              hostId={id}
              appliedGeneration={observed?.generation ?? null}
              hostInSync={data.inSync}
            />
            <div className="grid-2">
              <CertificatePanel hostId={id} />
              <EventsPanel hostId={id} />
            </div>
            <ConfirmDialog
              open={deleting}
              title={t("hosts.deleteTitle", { name: data.name })}
              body={t("hosts.deleteBody")}
              confirmLabel={t("common.delete")}
              confirmText={data.name}
              pending={destroy.isPending}
              error={destroy.error}
              onConfirm={() => destroy.mutate({ id })}
              onClose={() => {
                setDeleting(false);
                destroy.reset();
              }}
            />
          </>
        );
      }}
    </QueryState>
  );
}

function YesNo({ value }: { value: boolean }) {
  const t = useLocale().t;
  return (
    <span className={value ? "badge ok" : "badge failing"}>{value ? t("common.yes") : t("common.no")}</span>
  );
}

function ConfigPanel({
  hostId,
  appliedGeneration,
  hostInSync,
}: {
  hostId: string;
  appliedGeneration: number | null;
  hostInSync: boolean;
}) {
  const t = useLocale().t;
  const trpc = useTRPC();
  const [tab, setTab] = useState<ConfigTab>("stunnel");
  const preview = useQuery(trpc.configPreview.get.queryOptions({ hostId }, { refetchInterval: POLL_MS }));
  const data = preview.data;
  // The API's inSync also requires that the last apply succeeded.
  const inSync = hostInSync && data?.generation != null && data.generation === appliedGeneration;

  // The rendering of the desired generation is what the agent runs once it applied it.
  useEffect(() => {
    if (data && inSync && data.generation != null) {
      rememberApplied(window.localStorage, hostId, {
        generation: data.generation,
        stunnelConf: data.stunnelConf,
        iptablesRules: data.iptablesRules,
      });
    }
  }, [data, inSync, hostId]);

  return (
    <section className="panel">
      <h2>{t("host.config")}</h2>
      <div className="tabs" role="tablist">
        <button type="button" role="tab" aria-selected={tab === "stunnel"} onClick={() => setTab("stunnel")}>
          {t("host.stunnelConf")}
        </button>
        <button
          type="button"
          role="tab"
          aria-selected={tab === "iptables"}
          onClick={() => setTab("iptables")}
        >
          {t("host.iptables")}
        </button>
      </div>
      <QueryState query={preview}>
        {(config) => {
          const current = tab === "stunnel" ? config.stunnelConf : config.iptablesRules;
          if (current.trim() === "") return <Empty>{t("host.noConfig")}</Empty>;
          return (
            <>
              <pre className="code" data-testid={`config-${tab}`}>
                {current}
              </pre>
              <h3>{t("host.diffTitle")}</h3>
              <AppliedDiff
                hostId={hostId}
                appliedGeneration={appliedGeneration}
                inSync={inSync}
                tab={tab}
                current={current}
              />
            </>
          );
        }}
      </QueryState>
    </section>
  );
}

function AppliedDiff({
  hostId,
  appliedGeneration,
  inSync,
  tab,
  current,
}: {
  hostId: string;
  appliedGeneration: number | null;
  inSync: boolean;
  tab: ConfigTab;
  current: string;
}) {
  const t = useLocale().t;
  // localStorage exists only in the browser; the first render matches the server's.
  const [applied, setApplied] = useState<RenderedConfig | null>(null);
  useEffect(() => {
    setApplied(
      appliedGeneration === null ? null : recallApplied(window.localStorage, hostId, appliedGeneration),
    );
  }, [hostId, appliedGeneration]);

  if (appliedGeneration === null) return <Empty>{t("host.noApplied")}</Empty>;
  if (inSync) return <p className="help">{t("host.noDiff")}</p>;
  if (!applied) return <Empty>{t("host.noAppliedText", { generation: appliedGeneration })}</Empty>;

  const before = tab === "stunnel" ? applied.stunnelConf : applied.iptablesRules;
  if (before === current)
    return <p className="help">{t("host.fileUnchanged", { generation: appliedGeneration })}</p>;
  return <LineDiff before={before} after={current} />;
}

function purposeRank(purpose: string): number {
  return purpose === "tunnel" ? 0 : 1;
}

function CertificatePanel({ hostId }: { hostId: string }) {
  const { t, locale } = useLocale();
  const trpc = useTRPC();
  const certificates = useQuery(trpc.certificates.list.queryOptions({ hostId }));

  if (certificates.error) return <ErrorBox error={certificates.error} />;
  if (!certificates.data) return <Loading />;
  // The tunnel leaf first: it is the one stunnel serves.
  const leaves = certificates.data
    .filter((certificate) => certificate.state === "active")
    .sort((a, b) => purposeRank(a.purpose) - purposeRank(b.purpose));

  return (
    <section className="panel">
      <h2>{t("host.certificate")}</h2>
      {leaves.length === 0 ? (
        <Empty>{t("host.noCertificate")}</Empty>
      ) : (
        leaves.map((leaf) => (
          <div key={leaf.id} className="certificate" data-testid="host-certificate">
            <h3>{t(`purpose.${leaf.purpose}`)}</h3>
            <dl className="facts">
              <dt>{t("host.serial")}</dt>
              <dd className="mono">{leaf.serial}</dd>
              <dt>{t("host.subject")}</dt>
              <dd className="mono">{leaf.subject}</dd>
              <dt>{t("host.sans")}</dt>
              <dd className="mono">{leaf.sans.length > 0 ? leaf.sans.join(", ") : t("common.none")}</dd>
              <dt>{t("host.validity")}</dt>
              <dd>
                {formatDateTime(leaf.notBefore, locale)} – {formatDateTime(leaf.notAfter, locale)}
              </dd>
            </dl>
          </div>
        ))
      )}
    </section>
  );
}

function EventsPanel({ hostId }: { hostId: string }) {
  const t = useLocale().t;
  const trpc = useTRPC();
  const events = useQuery(
    trpc.audit.list.queryOptions({ targetId: hostId, limit: 10 }, { refetchInterval: POLL_MS }),
  );

  return (
    <section className="panel">
      <h2>{t("host.events")}</h2>
      <QueryState query={events}>
        {(page) =>
          page.events.length === 0 ? <Empty>{t("host.noEvents")}</Empty> : <AuditTable events={page.events} />
        }
      </QueryState>
    </section>
  );
}
