"use client";
// Language selector; the choice is stored in a cookie (see i18n/index.tsx).
import { LOCALES, type Locale, useLocale } from "../i18n";
import { LOCALE_NAMES } from "../i18n/locales";

export function LocaleSwitcher() {
  const { locale, setLocale, t } = useLocale();
  return (
    <select
      aria-label={t("nav.language")}
      value={locale}
      onChange={(event) => setLocale(event.target.value as Locale)}
      data-testid="locale-switcher"
    >
      {LOCALES.map((option) => (
        <option key={option} value={option}>
          {LOCALE_NAMES[option]}
        </option>
      ))}
    </select>
  );
}
