"use client";
// Keeps a native <dialog> in step with an `open` flag: showModal when it turns true (the
// browser then traps focus and closes on Escape), close when it turns false.
import { type RefObject, useEffect, useRef } from "react";

export function useModal(open: boolean, onOpen?: () => void): RefObject<HTMLDialogElement | null> {
  const ref = useRef<HTMLDialogElement>(null);
  const onOpenRef = useRef(onOpen);
  onOpenRef.current = onOpen;

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) {
      onOpenRef.current?.();
      dialog.showModal();
    }
    if (!open && dialog.open) dialog.close();
  }, [open]);

  return ref;
}
