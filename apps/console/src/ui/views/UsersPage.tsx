"use client";
// Users (admin only): create with a role, change role, disable, delete.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { Field } from "../components/Field";
import { ErrorBox, QueryState } from "../components/feedback";
import { RoleOptions } from "../components/RoleOptions";
import { useFieldErrors } from "../components/useFieldErrors";
import { useLocale } from "../i18n";
import { MIN_PASSWORD_LENGTH } from "../lib/password";
import { formatDateTime } from "../lib/time";
import { type Role, useCan, useSession } from "../session";
import { useTRPC } from "../trpc";

export function UsersPage() {
  const { t, locale } = useLocale();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCan("admin");
  const session = useSession();
  const users = useQuery(trpc.users.list.queryOptions(undefined, { enabled: isAdmin }));
  const [deleting, setDeleting] = useState<{ id: string; username: string } | null>(null);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.users.pathKey() });
  const update = useMutation(trpc.users.update.mutationOptions({ onSuccess: invalidate }));
  const remove = useMutation(
    trpc.users.delete.mutationOptions({
      onSuccess: async () => {
        setDeleting(null);
        await invalidate();
      },
    }),
  );

  if (!isAdmin) return <p className="notice">{t("users.adminOnly")}</p>;

  return (
    <>
      <div className="page-header">
        <h1>{t("users.title")}</h1>
      </div>
      <NewUserForm onCreated={invalidate} />
      <section className="panel">
        <ErrorBox error={update.error} />
        <QueryState query={users}>
          {(list) => (
            <div className="table-wrap">
              <table className="responsive" data-testid="users-table">
                <thead>
                  <tr>
                    <th>{t("auth.username")}</th>
                    <th>{t("common.role")}</th>
                    <th>{t("common.state")}</th>
                    <th>{t("common.created")}</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {list.map((user) => {
                    const self = user.username === session.username;
                    return (
                      <tr key={user.id}>
                        <td data-label={t("auth.username")}>{user.username}</td>
                        <td data-label={t("common.role")}>
                          <select
                            aria-label={`${t("common.role")} ${user.username}`}
                            value={user.role}
                            disabled={self || update.isPending}
                            onChange={(event) =>
                              update.mutate({ id: user.id, role: event.target.value as Role })
                            }
                          >
                            <RoleOptions />
                          </select>
                        </td>
                        <td data-label={t("common.state")}>
                          {user.disabled ? (
                            <span className="badge failing">{t("users.disabled")}</span>
                          ) : (
                            <span className="badge ok">{t("users.active")}</span>
                          )}
                        </td>
                        <td data-label={t("common.created")}>{formatDateTime(user.createdAt, locale)}</td>
                        <td className="actions">
                          {!self && (
                            <div className="button-row">
                              <button
                                type="button"
                                className="button secondary small"
                                disabled={update.isPending}
                                onClick={() => update.mutate({ id: user.id, disabled: !user.disabled })}
                              >
                                {user.disabled ? t("users.enable") : t("users.disable")}
                              </button>
                              <button
                                type="button"
                                className="button danger small"
                                onClick={() => setDeleting({ id: user.id, username: user.username })}
                              >
                                {t("common.delete")}
                              </button>
                            </div>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </div>
          )}
        </QueryState>
      </section>
      <ConfirmDialog
        open={deleting !== null}
        title={t("users.deleteTitle", { name: deleting?.username ?? "" })}
        body={t("users.deleteBody")}
        confirmLabel={t("common.delete")}
        pending={remove.isPending}
        error={remove.error}
        onConfirm={() => deleting && remove.mutate({ id: deleting.id })}
        onClose={() => {
          setDeleting(null);
          remove.reset();
        }}
      />
    </>
  );
}

function NewUserForm({ onCreated }: { onCreated: () => unknown }) {
  const t = useLocale().t;
  const trpc = useTRPC();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const [role, setRole] = useState<Role>("viewer");
  const create = useMutation(
    trpc.users.create.mutationOptions({
      onSuccess: async () => {
        setUsername("");
        setPassword("");
        await onCreated();
      },
    }),
  );

  const fieldErrors = useFieldErrors(create.error);

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate({ username: username.trim(), password, role });
  }

  return (
    <section className="panel">
      <h2>{t("users.new")}</h2>
      <form className="filters" onSubmit={submit}>
        <Field label={t("auth.username")} error={fieldErrors.message("username", t("auth.username"))}>
          <input
            name="new-username"
            value={username}
            onChange={(event) => {
              setUsername(event.target.value);
              fieldErrors.edited("username");
            }}
            required
          />
        </Field>
        <Field
          label={t("auth.password")}
          help={t("auth.passwordRule", { min: MIN_PASSWORD_LENGTH })}
          error={fieldErrors.message("password", t("auth.password"))}
        >
          <input
            name="new-password"
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={(event) => {
              setPassword(event.target.value);
              fieldErrors.edited("password");
            }}
            required
          />
        </Field>
        <Field label={t("common.role")}>
          <select name="new-role" value={role} onChange={(event) => setRole(event.target.value as Role)}>
            <RoleOptions />
          </select>
        </Field>
        <div>
          <button type="submit" className="button" disabled={create.isPending}>
            {t("common.create")}
          </button>
        </div>
      </form>
      <ErrorBox error={create.error} inline={["username", "password"]} />
    </section>
  );
}
