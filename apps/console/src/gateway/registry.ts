// Live sessions of this gateway process by host. One host has at most one session: a
// second authenticated session for the same host is a cloned agent identity or a
// reconnect racing its own half-open predecessor, and the newer session wins.

import type { AgentSession } from "./session";

// NOTE: the registry is per process. Two sessions of one identity on different replicas
// are not detected, because each replica checks only its own sessions.
export class SessionRegistry {
  private readonly byHost = new Map<string, AgentSession>();

  get size(): number {
    return this.byHost.size;
  }

  get(hostId: string): AgentSession | undefined {
    return this.byHost.get(hostId);
  }

  /** Registers `session` and returns the session it displaced, if any. */
  add(session: AgentSession): AgentSession | undefined {
    const previous = this.byHost.get(session.hostId);
    this.byHost.set(session.hostId, session);
    return previous === session ? undefined : previous;
  }

  /** Removes `session` if it is still the registered one; returns whether it was. */
  remove(session: AgentSession): boolean {
    if (this.byHost.get(session.hostId) !== session) return false;
    this.byHost.delete(session.hostId);
    return true;
  }

  all(): AgentSession[] {
    return [...this.byHost.values()];
  }
}
