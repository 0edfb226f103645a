// Locales the console ships, shared by the server layout and the client provider.

export const LOCALES = ["en", "zh-CN"] as const;
export type Locale = (typeof LOCALES)[number];

/** Cookie that stores the operator's choice. */
export const LOCALE_COOKIE = "tf_locale";

/** Returns the locale named by a cookie value, or English for anything else. */
export function parseLocale(value: string | undefined): Locale {
  return LOCALES.find((locale) => locale === value) ?? "en";
}

/** Name of each locale in its own language, for the switcher. */
export const LOCALE_NAMES: Record<Locale, string> = { en: "English", "zh-CN": "简体中文" };
