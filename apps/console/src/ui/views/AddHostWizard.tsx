"use client";
// Add-host wizard of a cluster: creates a single-use join token bound to the cluster and
// an address, then shows the one-line join command (secret included, shown once) and
// waits until a host joins.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { CopyButton } from "../components/CopyButton";
import { Field } from "../components/Field";
import { ErrorBox } from "../components/feedback";
import { useModal } from "../components/useModal";
import { useLocale } from "../i18n";
import { fieldMessage } from "../lib/errors";
import { formatDateTime } from "../lib/time";
import { useTRPC } from "../trpc";

const POLL_MS = 3_000;

export function AddHostWizard({
  clusterId,
  open,
  onClose,
}: {
  clusterId: string;
  open: boolean;
  onClose: () => void;
}) {
  const { t, locale } = useLocale();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ref = useModal(open);
  const [hostName, setHostName] = useState("");
  const [address, setAddress] = useState("");
  const [minutes, setMinutes] = useState("60");
  const create = useMutation(trpc.joinTokens.create.mutationOptions());
  const token = create.data;

  // While the command is shown, poll the token so the wizard notices the join.
  const tokens = useQuery(
    trpc.joinTokens.list.queryOptions(
      { clusterId, includeInactive: true },
      { enabled: open && token !== undefined, refetchInterval: POLL_MS },
    ),
  );
  const joined = token
    ? tokens.data?.find((item) => item.id === token.id && item.status === "used")
    : undefined;

  useEffect(() => {
    if (joined) void queryClient.invalidateQueries({ queryKey: trpc.clusters.pathKey() });
  }, [joined, queryClient, trpc]);

  function close() {
    create.reset();
    setHostName("");
    setAddress("");
    onClose();
  }

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({
      clusterId,
      hostName: hostName.trim() || undefined,
      address: address.trim(),
      ttlSeconds: Math.round(Number(minutes) * 60),
    });
  }

  return (
    <dialog ref={ref} className="dialog wide" onClose={close} aria-labelledby="wizard-title">
      <h2 id="wizard-title">{t("wizard.title")}</h2>
      {!token ? (
        <form className="stack" onSubmit={submit}>
          <h3>{t("wizard.step1")}</h3>
          <div className="form-grid">
            <Field
              label={t("wizard.hostName")}
              help={t("wizard.hostNameHelp")}
              error={fieldMessage(create.error, "hostName")}
            >
              <input name="hostName" value={hostName} onChange={(event) => setHostName(event.target.value)} />
            </Field>
            <Field
              label={t("wizard.address")}
              help={t("wizard.addressHelp")}
              error={fieldMessage(create.error, "address")}
            >
              <input
                name="address"
                value={address}
                onChange={(event) => setAddress(event.target.value)}
                placeholder="10.0.0.11"
                required
              />
            </Field>
            <Field label={t("wizard.lifetime")} error={fieldMessage(create.error, "ttlSeconds")}>
              <input
                name="ttlMinutes"
                type="number"
                min={1}
                value={minutes}
                onChange={(event) => setMinutes(event.target.value)}
              />
            </Field>
          </div>
          <ErrorBox error={create.error} />
          <div className="dialog-actions">
            <button type="button" className="button secondary" onClick={close}>
              {t("common.cancel")}
            </button>
            <button type="submit" className="button" disabled={create.isPending}>
              {t("wizard.createToken")}
            </button>
          </div>
        </form>
      ) : (
        <div className="stack">
          <h3>{t("wizard.step2")}</h3>
          <p>{t("wizard.commandIntro")}</p>
          <div className="command">
            <pre className="code" data-testid="install-command">
              {token.installCommand}
            </pre>
            <CopyButton text={token.installCommand} />
          </div>
          <p className="help">{t("wizard.manualIntro")}</p>
          <div className="command">
            <pre className="code" data-testid="join-command">
              {token.command}
            </pre>
            <CopyButton text={token.command} />
          </div>
          <p data-testid="join-expiry">
            {t("wizard.expiresAt", { time: formatDateTime(token.expiresAt, locale) })}
          </p>
          <p className={joined ? "badge ok" : "loading"} data-testid="join-status">
            {joined ? t("wizard.joined", { host: token.hostName ?? address }) : t("wizard.waiting")}
          </p>
          <div className="dialog-actions">
            <button type="button" className="button" onClick={close}>
              {t("wizard.done")}
            </button>
          </div>
        </div>
      )}
    </dialog>
  );
}
