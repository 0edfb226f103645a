// Audit actor display: the actor's name, plus its type where that adds to the name.

export const ACTOR_TYPES = ["user", "system", "agent", "api_token"] as const;
export type ActorType = (typeof ACTOR_TYPES)[number];

/** Words that, found in an actor's name, already say its type ("unenrolled agent"). */
const TYPE_WORDS: Record<ActorType, string> = {
  user: "user",
  system: "system",
  agent: "agent",
  api_token: "token",
};

export function isActorType(value: string): value is ActorType {
  return (ACTOR_TYPES as readonly string[]).includes(value);
}

/**
 * Returns the actor type to show as a badge next to the name, or null when the badge would
 * only repeat the name. Named users get none: a user is what an unlabelled name means.
 * Types this console does not know are always shown.
 */
export function actorBadge(actorType: string, actorName: string | null): ActorType | string | null {
  if (actorName === null) return null;
  if (!isActorType(actorType)) return actorType;
  if (actorType === "user") return null;
  return actorName.toLowerCase().includes(TYPE_WORDS[actorType]) ? null : actorType;
}
