"use client";
// API tokens (admin only): create (the secret is shown once), list and revoke.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { CopyButton } from "../components/CopyButton";
import { Field } from "../components/Field";
import { Empty, ErrorBox, QueryState } from "../components/feedback";
import { RoleOptions } from "../components/RoleOptions";
import { useLocale } from "../i18n";
import { fieldMessage } from "../lib/errors";
import { formatDateTime } from "../lib/time";
import { type Role, useCan } from "../session";
import { useTRPC } from "../trpc";

export function ApiTokensPage() {
  const { t, locale } = useLocale();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCan("admin");
  const tokens = useQuery(trpc.apiTokens.list.queryOptions(undefined, { enabled: isAdmin }));
  const [name, setName] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const [days, setDays] = useState("90");
  const [revoking, setRevoking] = useState<{ id: string; name: string } | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.apiTokens.pathKey() });
  const create = useMutation(
    trpc.apiTokens.create.mutationOptions({
      onSuccess: async () => {
        setName("");
        await invalidate();
      },
    }),
  );
  const revoke = useMutation(
    trpc.apiTokens.revoke.mutationOptions({
      onSuccess: async () => {
        setRevoking(null);
        await invalidate();
      },
    }),
  );

  if (!isAdmin) return <p className="notice">{t("users.adminOnly")}</p>;

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ name: name.trim(), role, expiresInDays: days.trim() ? Number(days) : undefined });
  }

  return (
    <>
      <div className="page-header">
        <h1>{t("tokens.title")}</h1>
      </div>
      <section className="panel">
        <h2>{t("tokens.new")}</h2>
        <form className="filters" onSubmit={submit}>
          <Field label={t("common.name")} error={fieldMessage(create.error, "name", t("common.name"))}>
            <input
              name="token-name"
              value={name}
              onChange={(event) => setName(event.target.value)}
              required
            />
          </Field>
          <Field label={t("common.role")}>
            <select name="token-role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
              <RoleOptions />
            </select>
          </Field>
          <Field
            label={t("tokens.expiresInDays")}
            help={t("tokens.expiresHelp")}
            error={fieldMessage(create.error, "expiresInDays", t("tokens.expiresInDays"))}
          >
            <input
              name="token-days"
              type="number"
              min={1}
              value={days}
              onChange={(event) => setDays(event.target.value)}
            />
          </Field>
          <div>
            <button type="submit" className="button" disabled={create.isPending}>
              {t("common.create")}
            </button>
          </div>
        </form>
        <ErrorBox error={create.error} inline={["name", "expiresInDays"]} />
        {create.data && (
          <div className="notice" data-testid="api-token-secret">
            <p>{t("tokens.secretOnce")}</p>
            <div className="command">
              <pre className="code">{create.data.secret}</pre>
              <CopyButton text={create.data.secret} />
            </div>
          </div>
        )}
      </section>
      <section className="panel">
        <QueryState query={tokens}>
          {(list) =>
            list.length === 0 ? (
              <Empty>{t("tokens.empty")}</Empty>
            ) : (
              <div className="table-wrap">
                <table className="responsive" data-testid="api-tokens-table">
                  <thead>
                    <tr>
                      <th>{t("common.name")}</th>
                      <th>{t("tokens.prefix")}</th>
                      <th>{t("common.role")}</th>
                      <th>{t("common.expires")}</th>
                      <th>{t("tokens.lastUsed")}</th>
                      <th />
                    </tr>
                  </thead>
                  <tbody>
                    {list.map((token) => (
                      <tr key={token.id}>
                        <td data-label={t("common.name")}>{token.name}</td>
                        <td data-label={t("tokens.prefix")} className="mono">
                          {token.prefix}
                        </td>
                        <td data-label={t("common.role")}>{t(`role.${token.role}`)}</td>
                        <td data-label={t("common.expires")}>
                          {token.expiresAt ? formatDateTime(token.expiresAt, locale) : t("common.never")}
                        </td>
                        <td data-label={t("tokens.lastUsed")}>
                          {token.lastUsedAt ? formatDateTime(token.lastUsedAt, locale) : t("common.never")}
                        </td>
                        <td className="actions">
                          {token.revokedAt ? (
                            <span className="badge failing">{t("tokens.revoked")}</span>
                          ) : (
                            <button
                              type="button"
                              className="button secondary small"
                              onClick={() => setRevoking({ id: token.id, name: token.name })}
                            >
                              {t("tokens.revoke")}
                            </button>
                          )}
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
      <ConfirmDialog
        open={revoking !== null}
        title={t("tokens.revokeTitle", { name: revoking?.name ?? "" })}
        body={t("tokens.revokeBody")}
        confirmLabel={t("tokens.revoke")}
        pending={revoke.isPending}
        error={revoke.error}
        onConfirm={() => revoking && revoke.mutate({ id: revoking.id })}
        onClose={() => {
          setRevoking(null);
          revoke.reset();
        }}
      />
    </>
  );
}
