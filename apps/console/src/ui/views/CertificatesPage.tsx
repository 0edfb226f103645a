"use client";
// CAs and leaf certificates: an expiry timeline, CA rotation, generation and import, and
// leaf revocation. Every destructive action goes through a confirmation dialog.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { type FormEvent, useState } from "react";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Field } from "../components/Field";
import { Empty, ErrorBox, Loading } from "../components/feedback";
import { useModal } from "../components/useModal";
import { useLocale } from "../i18n";
import { fieldMessage } from "../lib/errors";
import { REVOCATION_REASONS, type RevocationReasonOption } from "../lib/options";
import { daysUntil, expiryTone, formatDate } from "../lib/time";
import { useCan } from "../session";
import { useTRPC } from "../trpc";

/** The timeline shows what expires within this many days. */
const TIMELINE_DAYS = 120;

interface TimelineItem {
  id: string;
  label: string;
  notAfter: string;
}

function ExpiryTimeline({ items }: { items: TimelineItem[] }) {
  const { t, locale } = useLocale();
  const upcoming = items
    .map((item) => ({ ...item, days: daysUntil(item.notAfter) }))
    .filter((item) => item.days <= TIMELINE_DAYS)
    .sort((a, b) => a.days - b.days);

  if (upcoming.length === 0) return <Empty>{t("certs.timelineEmpty", { days: TIMELINE_DAYS })}</Empty>;

  return (
    <div className="timeline" data-testid="expiry-timeline">
      {upcoming.map((item) => {
        const share = Math.max(0, Math.min(1, item.days / TIMELINE_DAYS));
        const tone = expiryTone(item.days);
        return (
          <div className="timeline-row" key={item.id} title={formatDate(item.notAfter, locale)}>
            <span>{item.label}</span>
            <div className="timeline-track">
              <div className={`timeline-bar ${tone}`} style={{ width: `${Math.max(share * 100, 1)}%` }} />
            </div>
            <span className="mono">
              {item.days < 0 ? t("certs.expired") : t("certs.daysLeft", { days: item.days })}
            </span>
          </div>
        );
      })}
    </div>
  );
}

export function CertificatesPage() {
  const { t, locale } = useLocale();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useCan("operator");
  const clusters = useQuery(trpc.clusters.list.queryOptions());
  const authorities = useQuery(trpc.certificateAuthorities.list.queryOptions({}));
  const certificates = useQuery(trpc.certificates.list.queryOptions({}));
  const [rotating, setRotating] = useState<{ clusterId: string; name: string } | null>(null);
  const [revoking, setRevoking] = useState<{ id: string; serial: string } | null>(null);
  const [reason, setReason] = useState<RevocationReasonOption>("unspecified");
  const [importing, setImporting] = useState(false);
  const [finishing, setFinishing] = useState<{ clusterId: string; name: string } | null>(null);
  const [force, setForce] = useState(false);

  const invalidate = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: trpc.certificateAuthorities.pathKey() }),
      queryClient.invalidateQueries({ queryKey: trpc.certificates.pathKey() }),
    ]);
  const rotate = useMutation(
    trpc.certificateAuthorities.rotate.mutationOptions({
      onSuccess: async () => {
        setRotating(null);
        await invalidate();
      },
    }),
  );
  const finish = useMutation(
    trpc.certificateAuthorities.finishRotation.mutationOptions({
      onSuccess: async () => {
        setFinishing(null);
        setForce(false);
        await invalidate();
      },
    }),
  );
  const revoke = useMutation(
    trpc.certificates.revoke.mutationOptions({
      onSuccess: async () => {
        setRevoking(null);
        setReason("unspecified");
        await invalidate();
      },
    }),
  );

  const clusterName = new Map((clusters.data ?? []).map((cluster) => [cluster.id, cluster.name]));
  const nameOf = (clusterId: string | null) =>
    clusterId ? (clusterName.get(clusterId) ?? clusterId.slice(0, 8)) : "gateway";

  const error = authorities.error ?? certificates.error ?? clusters.error;
  if (error) return <ErrorBox error={error} />;
  if (!authorities.data || !certificates.data || !clusters.data) return <Loading />;

  const activeLeaves = certificates.data.filter((certificate) => certificate.state === "active");
  const timeline: TimelineItem[] = [
    ...authorities.data
      .filter((authority) => authority.state !== "retired")
      .map((authority) => ({
        id: authority.id,
        label: `CA ${nameOf(authority.clusterId)}`,
        notAfter: authority.notAfter,
      })),
    ...activeLeaves.map((leaf) => ({
      id: leaf.id,
      label: `${leaf.hostName ?? leaf.subject} (${leaf.purpose})`,
      notAfter: leaf.notAfter,
    })),
  ];

  return (
    <>
      <div className="page-header">
        <h1>{t("certs.title")}</h1>
        {canEdit && (
          <button type="button" className="button secondary" onClick={() => setImporting(true)}>
            {t("certs.import")}
          </button>
        )}
      </div>

      <section className="panel">
        <h2>{t("certs.timeline")}</h2>
        <ExpiryTimeline items={timeline} />
      </section>

      <section className="panel">
        <h2>{t("certs.authorities")}</h2>
        {finish.data && finish.data.pending.length > 0 && (
          <p className="notice" role="status">
            {t("certs.pending", { count: finish.data.pending.length })}
          </p>
        )}
        {authorities.data.length === 0 ? (
          <Empty>{t("certs.noAuthorities")}</Empty>
        ) : (
          <div className="table-wrap">
            <table className="responsive" data-testid="authorities-table">
              <thead>
                <tr>
                  <th>{t("certs.cluster")}</th>
                  <th>{t("certs.subject")}</th>
                  <th>{t("certs.keyType")}</th>
                  <th>{t("common.state")}</th>
                  <th>{t("certs.notAfter")}</th>
                  {canEdit && <th />}
                </tr>
              </thead>
              <tbody>
                {authorities.data.map((authority) => (
                  <tr key={authority.id}>
                    <td data-label={t("certs.cluster")}>
                      {authority.clusterId ? (
                        <Link href={`/clusters/${authority.clusterId}`}>{nameOf(authority.clusterId)}</Link>
                      ) : (
                        nameOf(null)
                      )}
                    </td>
                    <td data-label={t("certs.subject")} className="mono">
                      {authority.subject}
                      {authority.imported && <span className="badge"> {t("certs.imported")}</span>}
                    </td>
                    <td data-label={t("certs.keyType")}>{authority.keyType}</td>
                    <td data-label={t("common.state")}>
                      <span className={authority.state === "active" ? "badge ok" : "badge"}>
                        {t(`certState.${authority.state}`)}
                      </span>
                    </td>
                    <td data-label={t("certs.notAfter")}>{formatDate(authority.notAfter, locale)}</td>
                    {canEdit && (
                      <td className="actions">
                        {authority.clusterId && authority.state === "retiring" && (
                          <button
                            type="button"
                            className="button secondary small"
                            onClick={() =>
                              authority.clusterId &&
                              setFinishing({
                                clusterId: authority.clusterId,
                                name: nameOf(authority.clusterId),
                              })
                            }
                          >
                            {t("certs.finishRotation")}
                          </button>
                        )}
                        {authority.clusterId && authority.state === "active" && (
                          <button
                            type="button"
                            className="button secondary small"
                            onClick={() =>
                              authority.clusterId &&
                              setRotating({
                                clusterId: authority.clusterId,
                                name: nameOf(authority.clusterId),
                              })
                            }
                          >
                            {t("certs.rotate")}
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section className="panel">
        <h2>{t("certs.leaves")}</h2>
        {certificates.data.length === 0 ? (
          <Empty>{t("certs.noLeaves")}</Empty>
        ) : (
          <div className="table-wrap">
            <table className="responsive" data-testid="leaves-table">
              <thead>
                <tr>
                  <th>{t("certs.host")}</th>
                  <th>{t("certs.purpose")}</th>
                  <th>{t("certs.cluster")}</th>
                  <th>{t("certs.serial")}</th>
                  <th>{t("common.state")}</th>
                  <th>{t("certs.notAfter")}</th>
                  {canEdit && <th />}
                </tr>
              </thead>
              <tbody>
                {certificates.data.map((leaf) => (
                  <tr key={leaf.id}>
                    <td data-label={t("certs.host")}>
                      {leaf.hostId ? (
                        <Link href={`/hosts/${leaf.hostId}`}>{leaf.hostName}</Link>
                      ) : (
                        leaf.subject
                      )}
                    </td>
                    <td data-label={t("certs.purpose")}>{leaf.purpose}</td>
                    <td data-label={t("certs.cluster")}>{leaf.clusterId ? nameOf(leaf.clusterId) : "—"}</td>
                    <td data-label={t("certs.serial")} className="mono">
                      {leaf.serial}
                    </td>
                    <td data-label={t("common.state")}>
                      <span
                        className={
                          leaf.state === "active"
                            ? "badge ok"
                            : leaf.state === "revoked"
                              ? "badge failing"
                              : "badge"
                        }
                      >
                        {t(`certState.${leaf.state}`)}
                      </span>
                    </td>
                    <td data-label={t("certs.notAfter")}>{formatDate(leaf.notAfter, locale)}</td>
                    {canEdit && (
                      <td className="actions">
                        {leaf.state === "active" && leaf.purpose !== "gateway" && (
                          <button
                            type="button"
                            className="button secondary small"
                            onClick={() => setRevoking({ id: leaf.id, serial: leaf.serial })}
                          >
                            {t("certs.revoke")}
                          </button>
                        )}
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <ConfirmDialog
        open={rotating !== null}
        title={t("certs.rotateTitle", { cluster: rotating?.name ?? "" })}
        body={t("certs.rotateBody")}
        confirmLabel={t("certs.rotate")}
        pending={rotate.isPending}
        error={rotate.error}
        onConfirm={() => rotating && rotate.mutate({ clusterId: rotating.clusterId })}
        onClose={() => {
          setRotating(null);
          rotate.reset();
        }}
      />
      <ConfirmDialog
        open={finishing !== null}
        title={t("certs.finishTitle", { cluster: finishing?.name ?? "" })}
        body={t("certs.finishBody")}
        confirmLabel={t("certs.finishRotation")}
        pending={finish.isPending}
        error={finish.error}
        onConfirm={() => finishing && finish.mutate({ clusterId: finishing.clusterId, force })}
        onClose={() => {
          setFinishing(null);
          setForce(false);
          finish.reset();
        }}
      >
        <label className="field inline">
          <input type="checkbox" checked={force} onChange={(event) => setForce(event.target.checked)} />
          <span>{t("certs.force")}</span>
        </label>
      </ConfirmDialog>
      <ConfirmDialog
        open={revoking !== null}
        title={t("certs.revokeTitle", { serial: revoking?.serial ?? "" })}
        body={t("certs.revokeBody")}
        confirmLabel={t("certs.revoke")}
        pending={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoking && revoke.mutate({ id: revoking.id, reason })}
        onClose={() => {
          setRevoking(null);
          revoke.reset();
        }}
      >
        <Field label={t("certs.reason")}>
          <select
            value={reason}
            onChange={(event) => setReason(event.target.value as RevocationReasonOption)}
          >
            {REVOCATION_REASONS.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
        </Field>
      </ConfirmDialog>
      {canEdit && (
        <ImportAuthorityDialog
          open={importing}
          clusters={clusters.data}
          onClose={() => setImporting(false)}
          onDone={invalidate}
        />
      )}
    </>
  );
}

function ImportAuthorityDialog({
  open,
  clusters,
  onClose,
  onDone,
}: {
  open: boolean;
  clusters: { id: string; name: string }[];
  onClose: () => void;
  onDone: () => unknown;
}) {
  const t = useLocale().t;
  const trpc = useTRPC();
  const ref = useModal(open);
  const [clusterId, setClusterId] = useState("");
  const [certPem, setCertPem] = useState("");
  const [keyPem, setKeyPem] = useState("");
  const importCa = useMutation(
    trpc.certificateAuthorities.import.mutationOptions({
      onSuccess: async () => {
        setCertPem("");
        setKeyPem("");
        await onDone();
        onClose();
      },
    }),
  );

  function submit(event: FormEvent) {
    event.preventDefault();
    importCa.mutate({ clusterId, certPem, keyPem });
  }

  return (
    <dialog ref={ref} className="dialog wide" onClose={onClose} aria-labelledby="import-title">
      <form className="stack" onSubmit={submit}>
        <h2 id="import-title">{t("certs.import")}</h2>
        <Field
          label={t("certs.cluster")}
          error={fieldMessage(importCa.error, "clusterId", t("certs.cluster"))}
        >
          <select value={clusterId} onChange={(event) => setClusterId(event.target.value)} required>
            <option value="" />
            {clusters.map((cluster) => (
              <option key={cluster.id} value={cluster.id}>
                {cluster.name}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label={t("certs.importCert")}
          error={fieldMessage(importCa.error, "certPem", t("certs.importCert"))}
        >
          <textarea rows={6} value={certPem} onChange={(event) => setCertPem(event.target.value)} required />
        </Field>
        <Field
          label={t("certs.importKey")}
          error={fieldMessage(importCa.error, "keyPem", t("certs.importKey"))}
        >
          <textarea rows={6} value={keyPem} onChange={(event) => setKeyPem(event.target.value)} required />
        </Field>
        <ErrorBox error={importCa.error} inline={["clusterId", "certPem", "keyPem"]} />
        <div className="dialog-actions">
          <button type="button" className="button secondary" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" className="button" disabled={importCa.isPending}>
            {t("certs.import")}
          </button>
        </div>
      </form>
    </dialog>
  );
}
