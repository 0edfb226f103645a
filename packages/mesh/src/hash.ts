// The bundle hash: one string that changes exactly when what a host must run changes.
import { createHash } from "node:crypto";
import type { HostPlan } from "./model";

/**
 * Version of the rendered formats. Bump it whenever a renderer's output changes for the
 * same plan, so that every host's bundle hash changes and agents re-apply.
 */
export const RENDER_FORMAT_VERSION = 1;

/** Contents of a host's bundle: its plan and the PEM documents it needs, by name. */
export interface BundleParts {
  plan: HostPlan;
  /** PEM texts by role, for example `{ ca: "...", cert: "...", crl: "..." }`. */
  pems: Record<string, string>;
}

/** Serialises a JSON value with object keys sorted at every depth; undefined fields are dropped. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) {
    return `[${value.map((item) => (item === undefined ? "null" : canonicalJson(item))).join(",")}]`;
  }
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(",")}}`;
}

/**
 * Returns `sha256:<hex>` over the canonical JSON of the render format version, the plan
 * and the PEMs. Equal inputs give equal hashes whatever the order of object keys; list
 * order counts, and planHost sorts its lists.
 */
export function bundleHash(parts: BundleParts): string {
  const body = canonicalJson({ format: RENDER_FORMAT_VERSION, plan: parts.plan, pems: parts.pems });
  return `sha256:${createHash("sha256").update(body, "utf8").digest("hex")}`;
}
