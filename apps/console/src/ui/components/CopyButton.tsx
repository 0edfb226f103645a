"use client";
// Copies a text to the clipboard and shows "Copied" for two seconds.
import { useEffect, useState } from "react";
import { useT } from "../i18n";

export function CopyButton({ text, label }: { text: string; label?: string }) {
  const t = useT();
  const [copied, setCopied] = useState(false);

  useEffect(() => {
    if (!copied) return;
    const timer = setTimeout(() => setCopied(false), 2000);
    return () => clearTimeout(timer);
  }, [copied]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      // NOTE: the clipboard API needs a secure context (https or localhost); elsewhere the
      // operator selects the text by hand, which the <pre> next to this button allows.
      setCopied(false);
    }
  }

  return (
    <button
      type="button"
      className="button secondary small"
      onClick={copy}
      aria-label={label ?? t("common.copy")}
    >
      {copied ? t("common.copied") : t("common.copy")}
    </button>
  );
}
