"use client";
// Shows a rendered configuration as a line diff against the applied one.
import { type DiffLine, diffLines } from "../lib/diff";

const MARKS: Record<DiffLine["kind"], string> = { added: "+ ", removed: "- ", same: "  " };

export function LineDiff({ before, after }: { before: string; after: string }) {
  const lines = diffLines(before, after);
  return (
    <pre className="code diff" data-testid="config-diff">
      {lines.map((line, index) => (
        // Lines repeat, so the position is the only stable key.
        // biome-ignore lint/suspicious/noArrayIndexKey: diff lines have no identity of their own
        <span key={index} className={`diff-${line.kind}`}>
          {MARKS[line.kind]}
          {line.text}
          {"\n"}
        </span>
      ))}
    </pre>
  );
}
