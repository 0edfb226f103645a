"use client";
// First-run setup and log in. Both are outside the signed-in shell.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter, useSearchParams } from "next/navigation";
import { type FormEvent, type ReactNode, useEffect, useState } from "react";
import { Field } from "../components/Field";
import { ErrorBox } from "../components/feedback";
import { LocaleSwitcher } from "../components/LocaleSwitcher";
import { useFieldErrors } from "../components/useFieldErrors";
import { useT } from "../i18n";
import { describeError, fieldMessage } from "../lib/errors";
import { MIN_PASSWORD_LENGTH } from "../lib/password";
import { useTRPC } from "../trpc";

function AuthCard({ title, children }: { title: string; children: ReactNode }) {
  const t = useT();
  return (
    <main className="centered">
      <div className="panel auth-card">
        <div className="locale-row">
          <LocaleSwitcher />
        </div>
        <p className="brand" style={{ padding: 0, color: "var(--muted)" }}>
          {t("app.name")}
        </p>
        <h1>{title}</h1>
        {children}
      </div>
    </main>
  );
}

/** Only same-origin paths are followed after log in, never a full URL from the query. */
function safeNext(next: string | null): string {
  return next?.startsWith("/") && !next.startsWith("//") ? next : "/";
}

/**
 * Shows a rejected log in as one sentence. Other failures (rate limit, server down) keep
 * the API's message, which tells the operator what to do next.
 */
function LoginError({ error }: { error: unknown }) {
  const t = useT();
  if (!error) return null;
  if (describeError(error).code !== "UNAUTHORIZED") return <ErrorBox error={error} />;
  return (
    <p className="error-box" role="alert">
      {t("auth.loginRejected")}
    </p>
  );
}

export function LoginPage() {
  const t = useT();
  const trpc = useTRPC();
  const router = useRouter();
  const params = useSearchParams();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState("");
  const [password, setPassword] = useState("");
  const status = useQuery(trpc.auth.status.queryOptions());
  const login = useMutation(
    trpc.auth.login.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries();
        router.replace(safeNext(params.get("next")));
      },
    }),
  );

  useEffect(() => {
    if (status.data?.setupRequired) router.replace("/setup");
    else if (status.data?.authenticated) router.replace(safeNext(params.get("next")));
  }, [status.data, router, params]);

  function submit(event: FormEvent) {
    event.preventDefault();
    login.mutate({ username, password });
  }

  return (
    <AuthCard title={t("auth.loginTitle")}>
      <form className="stack" onSubmit={submit}>
        <Field label={t("auth.username")} error={fieldMessage(login.error, "username")}>
          <input
            name="username"
            autoComplete="username"
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            required
          />
        </Field>
        <Field label={t("auth.password")} error={fieldMessage(login.error, "password")}>
          <input
            name="password"
            type="password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            required
          />
        </Field>
        <LoginError error={login.error} />
        <button type="submit" className="button" disabled={login.isPending}>
          {t("auth.loginButton")}
        </button>
      </form>
    </AuthCard>
  );
}

export function SetupPage() {
  const t = useT();
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  const [username, setUsername] = useState("admin");
  const [password, setPassword] = useState("");
  const [repeat, setRepeat] = useState("");
  const status = useQuery(trpc.auth.status.queryOptions());
  const setup = useMutation(
    trpc.auth.setup.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries();
        router.replace("/");
      },
    }),
  );
  const fieldErrors = useFieldErrors(setup.error);

  if (status.data && !status.data.setupRequired && !setup.isSuccess) {
    return (
      <AuthCard title={t("auth.setupTitle")}>
        <p>{t("auth.setupDone")}</p>
        <Link className="button" href="/login">
          {t("auth.goToLogin")}
        </Link>
      </AuthCard>
    );
  }

  const mismatch = repeat.length > 0 && repeat !== password;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (mismatch) return;
    setup.mutate({ username, password });
  }

  return (
    <AuthCard title={t("auth.setupTitle")}>
      <p className="help">{t("auth.setupIntro")}</p>
      <form className="stack" onSubmit={submit}>
        <Field label={t("auth.username")} error={fieldErrors.message("username", t("auth.username"))}>
          <input
            name="username"
            autoComplete="username"
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
            name="password"
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
        <Field label={t("auth.passwordConfirm")} error={mismatch ? t("auth.passwordMismatch") : undefined}>
          <input
            name="password-confirm"
            type="password"
            autoComplete="new-password"
            value={repeat}
            onChange={(event) => setRepeat(event.target.value)}
            required
          />
        </Field>
        <ErrorBox error={setup.error} inline={["username", "password"]} />
        <button type="submit" className="button" disabled={setup.isPending || mismatch}>
          {t("auth.setupButton")}
        </button>
      </form>
    </AuthCard>
  );
}
