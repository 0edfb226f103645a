"use client";
// Frame of every signed-in page: navigation, language switcher, user and log out. Sends
// the browser to /login when the session is missing or expired.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { TRPCClientError } from "@trpc/client";
import Link from "next/link";
import { usePathname, useRouter } from "next/navigation";
import { type ReactNode, useEffect, useState } from "react";
import { type MessageKey, useT } from "../i18n";
import { SessionProvider } from "../session";
import { useTRPC } from "../trpc";
import { ErrorBox, Loading } from "./feedback";
import { LocaleSwitcher } from "./LocaleSwitcher";

const NAV: { href: string; label: MessageKey; adminOnly?: boolean }[] = [
  { href: "/", label: "nav.overview" },
  { href: "/clusters", label: "nav.clusters" },
  { href: "/hosts", label: "nav.hosts" },
  { href: "/certificates", label: "nav.certificates" },
  { href: "/audit", label: "nav.audit" },
  { href: "/users", label: "nav.users", adminOnly: true },
  { href: "/api-tokens", label: "nav.apiTokens", adminOnly: true },
];

function isCurrent(pathname: string, href: string): boolean {
  return href === "/" ? pathname === "/" : pathname === href || pathname.startsWith(`${href}/`);
}

export function Shell({ children }: { children: ReactNode }) {
  const t = useT();
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const queryClient = useQueryClient();
  const [menuOpen, setMenuOpen] = useState(false);
  // auth.status is a public procedure, so a signed-out browser gets no 401 in its console.
  const status = useQuery(trpc.auth.status.queryOptions());
  const me = useQuery(trpc.auth.me.queryOptions(undefined, { enabled: status.data?.authenticated === true }));
  const logout = useMutation(
    trpc.auth.logout.mutationOptions({
      onSuccess: () => {
        queryClient.clear();
        router.replace("/login");
      },
    }),
  );

  const expired = me.error instanceof TRPCClientError && me.error.data?.code === "UNAUTHORIZED";
  const unauthenticated = status.data?.authenticated === false || expired;
  const setupRequired = status.data?.setupRequired === true;
  useEffect(() => {
    if (setupRequired) router.replace("/setup");
    else if (unauthenticated) router.replace(`/login?next=${encodeURIComponent(pathname)}`);
  }, [setupRequired, unauthenticated, router, pathname]);

  // Close the narrow-screen menu after navigating.
  useEffect(() => {
    if (pathname) setMenuOpen(false);
  }, [pathname]);

  if (!me.data) {
    const error = status.error ?? (expired ? null : me.error);
    return <main className="centered">{error ? <ErrorBox error={error} /> : <Loading />}</main>;
  }

  const session = { username: me.data.username, role: me.data.role };

  return (
    <SessionProvider session={session}>
      <div className="shell">
        <aside className={menuOpen ? "sidebar open" : "sidebar"}>
          <div className="brand">
            {t("app.name")}
            <small>{t("app.tagline")}</small>
          </div>
          <button
            type="button"
            className="nav-toggle"
            aria-expanded={menuOpen}
            aria-controls="main-nav"
            onClick={() => setMenuOpen((open) => !open)}
          >
            {t("nav.menu")}
          </button>
          <nav id="main-nav" className="nav" aria-label={t("nav.menu")}>
            {NAV.filter((item) => !item.adminOnly || session.role === "admin").map((item) => (
              <Link
                key={item.href}
                href={item.href}
                aria-current={isCurrent(pathname, item.href) ? "page" : undefined}
              >
                {t(item.label)}
              </Link>
            ))}
          </nav>
          <div className="sidebar-footer">
            <span data-testid="signed-in-as">
              {t("nav.signedInAs", { name: session.username, role: t(`role.${session.role}`) })}
            </span>
            <LocaleSwitcher />
            <button
              type="button"
              className="button secondary small"
              onClick={() => logout.mutate()}
              disabled={logout.isPending}
            >
              {t("nav.logout")}
            </button>
          </div>
        </aside>
        <main className="main">{children}</main>
      </div>
    </SessionProvider>
  );
}
