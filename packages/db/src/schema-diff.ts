// Turns the difference between two Prisma schemas into PostgreSQL migration SQL with
// Prisma's own schema engine (the @prisma/schema-engine-wasm build), so migrations can
// be created on machines where the native engine cannot be downloaded.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { PrismaPg } from "@prisma/adapter-pg";
import { bindMigrationAwareSqlAdapterFactory } from "@prisma/driver-adapter-utils";
import type * as SchemaEngineModule from "@prisma/schema-engine-wasm";

type WasmExports = Record<string, unknown>;
type Bindings = typeof SchemaEngineModule & { __wbg_set_wasm(exports: WasmExports): void };

// The compile target's lib has no WebAssembly typings, so this declares the one call used here.
declare const WebAssembly: {
  instantiate(bytes: Uint8Array, imports: object): Promise<{ instance: { exports: WasmExports } }>;
};

let bindings: Promise<Bindings> | undefined;

/**
 * Loads the engine's wasm-bindgen glue and instantiates its .wasm file. The package entry
 * imports the .wasm as an ES module, which Node 20 cannot load, so the bytes are
 * instantiated here with the glue module as their import object.
 */
function loadBindings(): Promise<Bindings> {
  bindings ??= (async () => {
    const require = createRequire(import.meta.url);
    const packageDir = dirname(require.resolve("@prisma/schema-engine-wasm/schema_engine_bg"));
    const glue = (await import(pathToFileURL(join(packageDir, "schema_engine_bg.js")).href)) as Bindings;
    const bytes = await readFile(join(packageDir, "schema_engine_bg.wasm"));
    const { instance } = await WebAssembly.instantiate(bytes, { "./schema_engine_bg.js": glue });
    glue.__wbg_set_wasm(instance.exports);
    (instance.exports.__wbindgen_start as (() => void) | undefined)?.();
    return glue;
  })();
  return bindings;
}

export interface DiffSchemasOptions {
  /** Schema the database has now, or null for an empty database. */
  from: string | null;
  /** Schema the database should have. */
  to: string;
  /**
   * A reachable PostgreSQL database. The engine opens a connection when it starts, but a
   * diff between two schemas reads nothing from it.
   */
  databaseUrl: string;
}

/** Returns the SQL that migrates a database from `from` to `to`, or "" when they match. */
export async function diffSchemas(options: DiffSchemasOptions): Promise<string> {
  const glue = await loadBindings();
  const adapter = bindMigrationAwareSqlAdapterFactory(
    new PrismaPg({ connectionString: options.databaseUrl }),
  );
  const engine = await glue.SchemaEngine.new(
    { datamodels: [["schema.prisma", options.to]] },
    () => {},
    adapter,
  );
  try {
    const result = await engine.diff({
      from: options.from === null ? { tag: "empty" } : datamodel(options.from),
      to: datamodel(options.to),
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    });
    const sql = result.stdout ?? "";
    return isEmptyMigration(sql) ? "" : sql;
  } finally {
    engine.free();
  }
}

function datamodel(content: string) {
  return { tag: "schemaDatamodel" as const, files: [{ path: "schema.prisma", content }] };
}

/** Checks for the comment-only script the engine writes when nothing changed. */
function isEmptyMigration(sql: string): boolean {
  return sql
    .split("\n")
    .map((line) => line.trim())
    .every((line) => line === "" || line.startsWith("--"));
}
