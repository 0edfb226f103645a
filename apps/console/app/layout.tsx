// Root layout: reads the locale cookie so the first render is already in the operator's
// language, and wraps every page in the locale and API providers.
import type { Metadata, Viewport } from "next";
import { cookies } from "next/headers";
import type { ReactNode } from "react";
import { LocaleProvider } from "../src/ui/i18n";
import { LOCALE_COOKIE, parseLocale } from "../src/ui/i18n/locales";
import { ApiProvider } from "../src/ui/trpc";
import "./globals.css";

export const metadata: Metadata = {
  title: "Tunnelfleet",
  description: "stunnel mesh control plane",
};

export const viewport: Viewport = { width: "device-width", initialScale: 1 };

export default async function RootLayout({ children }: { children: ReactNode }) {
  const locale = parseLocale((await cookies()).get(LOCALE_COOKIE)?.value);

  return (
    <html lang={locale}>
      <body>
        <LocaleProvider initial={locale}>
          <ApiProvider>{children}</ApiProvider>
        </LocaleProvider>
      </body>
    </html>
  );
}
