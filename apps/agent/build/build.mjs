#!/usr/bin/env node
// Bundles the agent CLI with every workspace and npm dependency into one ES module,
// dist/tunnelfleet-agent.mjs, that a node's own Node.js (>= 20) runs without npm or a
// checkout. The console serves this file to nodes (src/distribution in the console).
//
//   node apps/agent/build/build.mjs          (or: npm run build:agent)
//
// The output is reproducible: esbuild writes no timestamps, module paths in its comments
// are relative to the repository root, and the version comes from apps/agent/package.json.
import { createHash } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import { build } from "esbuild";

const AGENT_DIR = join(dirname(fileURLToPath(import.meta.url)), "..");
const REPOSITORY_ROOT = join(AGENT_DIR, "..", "..");

/** Path of the bundle that `buildAgentBundle` writes. */
export const AGENT_BUNDLE_PATH = join(AGENT_DIR, "dist", "tunnelfleet-agent.mjs");

/** Oldest Node.js major version the bundle runs on; the install script checks it too. */
export const MINIMUM_NODE_MAJOR = 20;

/**
 * Lines put at the top of the bundle. Bundled CommonJS packages (pino, ws, commander)
 * call require() for Node built-ins, which an ES module does not have, so the bundle
 * defines one from createRequire.
 */
const BANNER = [
  "// Tunnelfleet node agent, bundled with its dependencies. Run it with Node.js 20 or newer.",
  'import { createRequire as __tunnelfleetCreateRequire } from "node:module";',
  "const require = __tunnelfleetCreateRequire(import.meta.url);",
].join("\n");

function readAgentVersion() {
  const manifest = JSON.parse(readFileSync(join(AGENT_DIR, "package.json"), "utf8"));
  if (typeof manifest.version !== "string") {
    throw new Error(`apps/agent/package.json has no "version" string; set one such as "0.1.0"`);
  }
  return manifest.version;
}

/**
 * Writes the agent bundle and returns its path, version, size and SHA-256. The same
 * sources and lock file give the same bytes.
 */
export async function buildAgentBundle({ outfile = AGENT_BUNDLE_PATH, minify = false } = {}) {
  const version = readAgentVersion();

  const result = await build({
    absWorkingDir: REPOSITORY_ROOT,
    entryPoints: [join(AGENT_DIR, "src", "cli.ts")],
    outfile,
    bundle: true,
    platform: "node",
    format: "esm",
    target: `node${MINIMUM_NODE_MAJOR}`,
    // esbuild keeps the entry's `#!/usr/bin/env node` line above this banner.
    banner: { js: BANNER },
    // @peculiar/x509 (through tsyringe) finds its classes by constructor; keeping names
    // keeps error messages and stack traces readable on the node.
    keepNames: true,
    minify,
    legalComments: "eof",
    // ASCII output: V8 keeps an all-ASCII source as a one-byte string, half the memory of
    // the two-byte string it needs for any other text (about 2 MiB less RSS here).
    charset: "ascii",
    // ws loads these native accelerators inside try/catch and works without them.
    external: ["bufferutil", "utf-8-validate"],
    logLevel: "warning",
    write: false,
  });
  if (result.errors.length > 0) {
    throw new Error(`esbuild failed: ${result.errors.map((error) => error.text).join("; ")}`);
  }

  // With charset "ascii", esbuild escapes every non-ASCII character in code, so any that
  // remain are in comments (of bundled packages, licence notices). One of them would make
  // V8 hold the whole source as a two-byte string: they become \u{...} text.
  const text = result.outputFiles[0].text.replace(
    /[\u0080-\u{10ffff}]/gu,
    (character) => `\\u{${character.codePointAt(0).toString(16)}}`,
  );
  // Written to a temp name and renamed, so a console reading the bundle while another
  // process rebuilds it never sees half a file.
  mkdirSync(dirname(outfile), { recursive: true });
  const partial = `${outfile}.${process.pid}.tmp`;
  writeFileSync(partial, text, { mode: 0o755 });
  chmodSync(partial, 0o755);
  renameSync(partial, outfile);
  const bytes = readFileSync(outfile);
  return {
    path: outfile,
    version,
    size: bytes.length,
    gzipSize: gzipSync(bytes, { level: 9 }).length,
    sha256: createHash("sha256").update(bytes).digest("hex"),
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const bundle = await buildAgentBundle();
  console.log(
    `${relative(process.cwd(), bundle.path)}: version ${bundle.version}, ${bundle.size} bytes (${bundle.gzipSize} gzip), sha256 ${bundle.sha256}`,
  );
}
