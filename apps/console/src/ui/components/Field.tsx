"use client";
// A labelled form control with help text and the API's message for that field.
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
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: the control is passed in as children
    <label className="field">
      <span>{label}</span>
      {children}
      {help && <small className="help">{help}</small>}
      {error && <small className="field-error">{error}</small>}
    </label>
  );
}
