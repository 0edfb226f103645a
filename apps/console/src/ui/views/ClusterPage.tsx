"use client";
// One cluster: live topology (polled), members, open join tokens, and the add-host wizard.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { type FormEvent, useState } from "react";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Field } from "../components/Field";
import { Empty, ErrorBox, Loading, QueryState } from "../components/feedback";
import { TopologyGraph } from "../components/TopologyGraph";
import { useLocale } from "../i18n";
import { fieldMessage } from "../lib/errors";
import { readHealth } from "../lib/health";
import { formatDateTime } from "../lib/time";
import { useCan } from "../session";
import { useTRPC } from "../trpc";
import { AddHostWizard } from "./AddHostWizard";

/** How often the topology refreshes from the agents' latest probes. */
const POLL_MS = 3_000;

export function ClusterPage({ id }: { id: string }) {
  const { t, locale } = useLocale();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const canEdit = useCan("operator");
  // Set once the cluster is deleted, so that polling stops before the page is left.
  const [deleted, setDeleted] = useState(false);
  const cluster = useQuery(
    trpc.clusters.get.queryOptions({ id }, { refetchInterval: POLL_MS, enabled: !deleted }),
  );
  const hosts = useQuery(trpc.hosts.list.queryOptions(undefined, { refetchInterval: POLL_MS }));
  const [wizardOpen, setWizardOpen] = useState(false);
  const [deleting, setDeleting] = useState(false);
  const [removing, setRemoving] = useState<{ hostId: string; hostName: string } | null>(null);

  const remove = useMutation(
    trpc.members.remove.mutationOptions({
      onSuccess: async () => {
        setRemoving(null);
        await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
      },
    }),
  );
  const destroy = useMutation(
    trpc.clusters.delete.mutationOptions({
      onSuccess: async () => {
        setDeleted(true);
        queryClient.removeQueries({ queryKey: trpc.clusters.get.queryKey({ id }) });
        await queryClient.invalidateQueries({ queryKey: trpc.clusters.list.queryKey() });
        router.push("/clusters");
      },
    }),
  );

  return (
    <QueryState query={cluster}>
      {(data) => {
        const hostById = new Map((hosts.data ?? []).map((host) => [host.id, host]));
        const nodes = data.members.map((member) => {
          const host = hostById.get(member.hostId);
          return {
            id: member.hostId,
            name: member.hostName,
            address: member.address,
            online: host?.observed?.connected ?? false,
            probes: readHealth(host?.observed?.health)?.probes ?? null,
          };
        });

        return (
          <>
            <div className="page-header">
              <h1>{data.name}</h1>
              {canEdit && (
                <div className="button-row">
                  <button type="button" className="button" onClick={() => setWizardOpen(true)}>
                    {t("cluster.addHost")}
                  </button>
                  <Link className="button secondary" href={`/clusters/${id}/edit`}>
                    {t("common.edit")}
                  </Link>
                  <button type="button" className="button danger" onClick={() => setDeleting(true)}>
                    {t("common.delete")}
                  </button>
                </div>
              )}
            </div>
            <p className="help">
              {data.preset} · <span className="mono">{data.appPorts.join(", ")}</span> ·{" "}
              {t("cluster.policySummary", {
                keyType: data.tls.keyType,
                days: data.tls.leafLifetimeDays,
                tls: data.tls.minTlsVersion,
              })}
              {data.strict && ` · ${t("clusters.strict")}`}
            </p>

            <section className="panel">
              <h2>{t("cluster.topology")}</h2>
              {nodes.length === 0 ? (
                <Empty>{t("cluster.noMembers")}</Empty>
              ) : hosts.error ? (
                <ErrorBox error={hosts.error} />
              ) : !hosts.data ? (
                <Loading />
              ) : (
                <TopologyGraph clusterId={id} nodes={nodes} />
              )}
            </section>

            <section className="panel">
              <h2>{t("clusters.members")}</h2>
              {data.members.length === 0 ? (
                <Empty>{t("cluster.noMembers")}</Empty>
              ) : (
                <div className="table-wrap">
                  <table className="responsive" data-testid="members-table">
                    <thead>
                      <tr>
                        <th>{t("cluster.host")}</th>
                        <th>{t("cluster.address")}</th>
                        <th>{t("cluster.status")}</th>
                        <th>{t("common.created")}</th>
                        {canEdit && <th />}
                      </tr>
                    </thead>
                    <tbody>
                      {data.members.map((member) => {
                        const host = hostById.get(member.hostId);
                        const online = host?.observed?.connected ?? false;
                        return (
                          <tr key={member.hostId}>
                            <td data-label={t("cluster.host")}>
                              <Link href={`/hosts/${member.hostId}`}>{member.hostName}</Link>
                            </td>
                            <td data-label={t("cluster.address")} className="mono">
                              {member.address}
                            </td>
                            <td data-label={t("cluster.status")}>
                              <span className={online ? "badge ok" : "badge"}>
                                {online ? t("hosts.online") : t("hosts.offline")}
                              </span>{" "}
                              {host && (
                                <span className={host.inSync ? "badge ok" : "badge warn"}>
                                  {host.inSync ? t("host.inSync") : t("host.behind")}
                                </span>
                              )}
                            </td>
                            <td data-label={t("common.created")}>
                              {formatDateTime(member.createdAt, locale)}
                            </td>
                            {canEdit && (
                              <td className="actions">
                                <button
                                  type="button"
                                  className="button secondary small"
                                  onClick={() =>
                                    setRemoving({ hostId: member.hostId, hostName: member.hostName })
                                  }
                                >
                                  {t("cluster.removeMember")}
                                </button>
                              </td>
                            )}
                          </tr>
                        );
                      })}
                    </tbody>
                  </table>
                </div>
              )}
              {canEdit && (
                <AddExistingHost
                  clusterId={id}
                  candidates={(hosts.data ?? []).filter(
                    (host) => !data.members.some((member) => member.hostId === host.id),
                  )}
                />
              )}
            </section>

            <JoinTokensPanel clusterId={id} />

            {canEdit && (
              <AddHostWizard clusterId={id} open={wizardOpen} onClose={() => setWizardOpen(false)} />
            )}
            <ConfirmDialog
              open={removing !== null}
              title={t("cluster.removeTitle", { host: removing?.hostName ?? "", cluster: data.name })}
              body={t("cluster.removeBody")}
              confirmLabel={t("cluster.removeMember")}
              pending={remove.isPending}
              error={remove.error}
              onConfirm={() => removing && remove.mutate({ clusterId: id, hostId: removing.hostId })}
              onClose={() => {
                setRemoving(null);
                remove.reset();
              }}
            />
            <ConfirmDialog
              open={deleting}
              title={t("clusters.deleteTitle", { name: data.name })}
              body={t("clusters.deleteBody")}
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

function AddExistingHost({
  clusterId,
  candidates,
}: {
  clusterId: string;
  candidates: { id: string; name: string }[];
}) {
  const t = useLocale().t;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [hostId, setHostId] = useState("");
  const [address, setAddress] = useState("");
  const add = useMutation(
    trpc.members.add.mutationOptions({
      onSuccess: async () => {
        setHostId("");
        setAddress("");
        await queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
      },
    }),
  );

  if (candidates.length === 0) return null;

  function submit(event: FormEvent) {
    event.preventDefault();
    add.mutate({ clusterId, hostId, address: address.trim() });
  }

  return (
    <form className="stack" onSubmit={submit}>
      <h3>{t("cluster.addExisting")}</h3>
      <div className="filters">
        <Field
          label={t("cluster.selectHost")}
          error={fieldMessage(add.error, "hostId", t("cluster.selectHost"))}
        >
          <select value={hostId} onChange={(event) => setHostId(event.target.value)} required>
            <option value="" />
            {candidates.map((host) => (
              <option key={host.id} value={host.id}>
                {host.name}
              </option>
            ))}
          </select>
        </Field>
        <Field label={t("cluster.address")} error={fieldMessage(add.error, "address", t("cluster.address"))}>
          <input value={address} onChange={(event) => setAddress(event.target.value)} required />
        </Field>
        <div>
          <button type="submit" className="button" disabled={add.isPending}>
            {t("cluster.addExistingButton")}
          </button>
        </div>
      </div>
      <ErrorBox error={add.error} inline={["hostId", "address"]} />
    </form>
  );
}

function JoinTokensPanel({ clusterId }: { clusterId: string }) {
  const { t, locale } = useLocale();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useCan("operator");
  const tokens = useQuery(trpc.joinTokens.list.queryOptions({ clusterId }, { refetchInterval: POLL_MS }));
  const revoke = useMutation(
    trpc.joinTokens.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.joinTokens.pathKey() }),
    }),
  );

  const visible = (tokens.data ?? []).filter((token) => token.status === "active");

  return (
    <section className="panel">
      <h2>{t("joinTokens.title")}</h2>
      <ErrorBox error={tokens.error ?? revoke.error} />
      {!tokens.data ? (
        tokens.error ? null : (
          <Loading />
        )
      ) : visible.length === 0 ? (
        <Empty>{t("joinTokens.empty")}</Empty>
      ) : (
        <div className="table-wrap">
          <table className="responsive" data-testid="join-tokens-table">
            <thead>
              <tr>
                <th>{t("cluster.host")}</th>
                <th>{t("cluster.address")}</th>
                <th>{t("common.expires")}</th>
                {canEdit && <th />}
              </tr>
            </thead>
            <tbody>
              {visible.map((token) => (
                <tr key={token.id}>
                  <td data-label={t("cluster.host")}>{token.hostName ?? "—"}</td>
                  <td data-label={t("cluster.address")} className="mono">
                    {token.address ?? "—"}
                  </td>
                  <td data-label={t("common.expires")}>{formatDateTime(token.expiresAt, locale)}</td>
                  {canEdit && (
                    <td className="actions">
                      <button
                        type="button"
                        className="button secondary small"
                        disabled={revoke.isPending}
                        onClick={() => revoke.mutate({ id: token.id })}
                      >
                        {t("joinTokens.revoke")}
                      </button>
                    </td>
                  )}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
