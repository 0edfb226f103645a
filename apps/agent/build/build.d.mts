// Types of build.mjs, for TypeScript callers such as the bundle tests.

export interface AgentBundleInfo {
  /** Absolute path of the written bundle. */
  path: string;
  /** Version from apps/agent/package.json. */
  version: string;
  /** Size in bytes, and gzip-compressed at level 9. */
  size: number;
  gzipSize: number;
  /** SHA-256 of the bundle bytes, lowercase hex. */
  sha256: string;
}

export const AGENT_BUNDLE_PATH: string;
export const MINIMUM_NODE_MAJOR: number;
/**
 * Writes the bundle (default AGENT_BUNDLE_PATH). `minify` (default false) is for size and
 * memory comparisons; the served artefact is not minified, so stack traces stay readable.
 */
export function buildAgentBundle(options?: { outfile?: string; minify?: boolean }): Promise<AgentBundleInfo>;
