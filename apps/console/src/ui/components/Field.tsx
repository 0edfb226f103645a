"use client";
// A labelled form control with help text and the API's message for that field. The help
// and the error sit outside the <label>, so the control's accessible name is the label alone.
import type { ReactNode } from "react";

export function Field({
  label,
  help,
  error,
  children,
}: {
  label: string;
  help?: string;
  error?: string;
  children: ReactNode;
}) {
  // NOTE: the help and error are not linked to the control with aria-describedby, so a
  // screen reader reaches them only by reading on past the control.
  return (
    <div className="field">
      {/* biome-ignore lint/a11y/noLabelWithoutControl: the control is passed in as children */}
      <label className="field-label">
        <span>{label}</span>
        {children}
      </label>
      {help && <small className="help">{help}</small>}
      {error && <small className="field-error">{error}</small>}
    </div>
  );
}
