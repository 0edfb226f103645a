"use client";
// The signed-in user as the console pages see it. The API checks every role server-side;
// pages use `useCan` only to hide or disable what the user's role may not do.
import { createContext, type ReactNode, useContext } from "react";

export type Role = "admin" | "operator" | "viewer";

const ROLE_RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export interface Session {
  username: string;
  role: Role;
}

const SessionContext = createContext<Session | null>(null);

export function SessionProvider({ session, children }: { session: Session; children: ReactNode }) {
  return <SessionContext.Provider value={session}>{children}</SessionContext.Provider>;
}

export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error("useSession must be called inside SessionProvider");
  return session;
}

/** Returns whether the signed-in user's role is at least `minimum`. */
export function useCan(minimum: Role): boolean {
  return ROLE_RANK[useSession().role] >= ROLE_RANK[minimum];
}
