"use client";
// Field errors of a form's last failed request, each hidden again once its input changes.
import { useState } from "react";
import { fieldMessage } from "../lib/errors";

export interface FieldErrors {
  /** Returns the error to show under `field`, or undefined once the operator edited it. */
  message: (field: string, label?: string) => string | undefined;
  /** Marks `field` as changed since the request failed. */
  edited: (field: string) => void;
}

export function useFieldErrors(error: unknown): FieldErrors {
  const [changed, setChanged] = useState<{ error: unknown; fields: readonly string[] }>({
    error: null,
    fields: [],
  });
  // A new failure shows all of its field errors again.
  const cleared = changed.error === error ? changed.fields : [];

  return {
    message: (field, label) => (cleared.includes(field) ? undefined : fieldMessage(error, field, label)),
    edited: (field) => {
      if (error && !cleared.includes(field)) setChanged({ error, fields: [...cleared, field] });
    },
  };
}
