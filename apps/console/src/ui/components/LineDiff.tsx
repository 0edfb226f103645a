"use client";
// Shows a rendered configuration as a line diff against the applied one.
import { diffLines } from "../lib/diff";

export function LineDiff({ before, after }: { before: string; after: string }) {
  const lines = diffLines(before, after);
  return (
    <pre className="code diff" data-testid="config-diff">
      {lines.map((line, index) => (
        // Lines repeat, so the position is the only stable key.
        // biome-ignore lint/suspicious/noArrayIndexKey: diff lines have no identity of their own
        <span key={index} className={`diff-${line.kind}`}>
          {line.kind === "added" ? "+ " : line.kind === "removed" ? "- " : "  "}
          {line.text}
          {"\n"}
        </span>
      ))}
    </pre>
  );
}
