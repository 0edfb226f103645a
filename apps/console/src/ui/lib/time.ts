// Date formatting of the console, in the operator's locale and time zone.

export function formatDateTime(value: Date | string | null | undefined, locale: string): string {
  if (!value) return "—";
  const date = typeof value === "string" ? new Date(value) : value;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(date);
}

export function formatDate(value: Date | string | null | undefined, locale: string): string {
  if (!value) return "—";
  const date = typeof value === "string" ? new Date(value) : value;
  return new Intl.DateTimeFormat(locale, { dateStyle: "medium" }).format(date);
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Returns whole days from `now` until `value`, negative once it has passed. */
export function daysUntil(value: Date | string, now: number = Date.now()): number {
  const date = typeof value === "string" ? new Date(value) : value;
  return Math.floor((date.getTime() - now) / DAY_MS);
}

/** Returns the badge tone of a certificate that expires in `days`: red under a week, amber under two. */
export function expiryTone(days: number): "failing" | "warn" | "" {
  if (days < 7) return "failing";
  if (days < 14) return "warn";
  return "";
}
