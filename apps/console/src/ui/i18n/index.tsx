"use client";
// Locale state of the console. The provider stores the active locale, which the root
// layout first reads from the `tf_locale` cookie so that the server render already matches.
// `useT` returns the translate function, and switching writes the cookie for the next load.
import { createContext, type ReactNode, useCallback, useContext, useMemo, useState } from "react";
import { type Dictionary, en, type MessageKey } from "./en";
import { LOCALE_COOKIE, LOCALES, type Locale } from "./locales";
import { zhCN } from "./zh-CN";

const dictionaries: Record<Locale, Dictionary> = { en, "zh-CN": zhCN };

/** Replaces each `{name}` in the message with the matching value. */
export function format(message: string, values?: Record<string, string | number>): string {
  if (!values) return message;
  return message.replace(/\{(\w+)\}/g, (whole, name: string) =>
    name in values ? String(values[name]) : whole,
  );
}

export type Translate = (key: MessageKey, values?: Record<string, string | number>) => string;

interface LocaleState {
  locale: Locale;
  setLocale: (locale: Locale) => void;
  t: Translate;
}

const LocaleContext = createContext<LocaleState | null>(null);

export function LocaleProvider({ initial, children }: { initial: Locale; children: ReactNode }) {
  const [locale, setLocaleState] = useState<Locale>(initial);

  const setLocale = useCallback((next: Locale) => {
    // One year; the cookie is read by the root layout on the next request. The Cookie
    // Store API would do, but Firefox and Safari lack it.
    // biome-ignore lint/suspicious/noDocumentCookie: see above
    document.cookie = `${LOCALE_COOKIE}=${next}; path=/; max-age=31536000; samesite=lax`;
    document.documentElement.lang = next;
    setLocaleState(next);
  }, []);

  const value = useMemo<LocaleState>(() => {
    const dictionary = dictionaries[locale];
    return { locale, setLocale, t: (key, values) => format(dictionary[key], values) };
  }, [locale, setLocale]);

  return <LocaleContext.Provider value={value}>{children}</LocaleContext.Provider>;
}

export function useLocale(): LocaleState {
  const state = useContext(LocaleContext);
  if (!state) throw new Error("useLocale must be called inside LocaleProvider");
  return state;
}

/** Returns the translate function of the active locale. */
export function useT(): Translate {
  return useLocale().t;
}

export { LOCALES, type Locale, type MessageKey };
