"use client";
// Modal confirmation for destructive actions, on the native <dialog> element (focus trap
// and Escape come from the browser). With `confirmText`, the operator must type it first.
import { type ReactNode, useId, useState } from "react";
import { useT } from "../i18n";
import { ErrorBox } from "./feedback";
import { useModal } from "./useModal";

export function ConfirmDialog({
  open,
  title,
  body,
  confirmLabel,
  confirmText,
  pending,
  error,
  onConfirm,
  onClose,
  children,
}: {
  open: boolean;
  title: string;
  body: string;
  confirmLabel: string;
  confirmText?: string;
  pending?: boolean;
  error?: unknown;
  onConfirm: () => void;
  onClose: () => void;
  children?: ReactNode;
}) {
  const t = useT();
  const titleId = useId();
  const [typed, setTyped] = useState("");
  const ref = useModal(open, () => setTyped(""));

  const blocked = confirmText !== undefined && typed !== confirmText;

  return (
    <dialog ref={ref} className="dialog" onClose={onClose} aria-labelledby={titleId}>
      <form
        method="dialog"
        onSubmit={(event) => {
          event.preventDefault();
          if (!blocked) onConfirm();
        }}
      >
        <h2 id={titleId}>{title}</h2>
        <p>{body}</p>
        {children}
        {confirmText !== undefined && (
          <label className="field">
            <span>{confirmText}</span>
            <input
              value={typed}
              onChange={(event) => setTyped(event.target.value)}
              aria-label={confirmText}
            />
            {typed.length > 0 && blocked && (
              <small className="field-error">{t("clusters.deleteNameMismatch")}</small>
            )}
          </label>
        )}
        <ErrorBox error={error} />
        <div className="dialog-actions">
          <button type="button" className="button secondary" onClick={onClose}>
            {t("common.cancel")}
          </button>
          <button type="submit" className="button danger" disabled={blocked || pending}>
            {confirmLabel}
          </button>
        </div>
      </form>
    </dialog>
  );
}
