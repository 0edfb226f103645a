// The master key that seals CA private keys. It never enters the database: it comes from
// TUNNELFLEET_MASTER_KEY or from `<dataDir>/master.key`, generated once with mode 0600.
// Losing it makes every stored CA key unusable.
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

export const MASTER_KEY_FILE = "master.key";
const MASTER_KEY_BYTES = 32;

export class MasterKeyError extends Error {
  override name = "MasterKeyError";
}

/** Decodes a key given as base64 or hex text; it must hold at least 32 bytes. */
export function parseMasterKey(source: string, text: string): Buffer {
  const trimmed = text.trim();
  const key =
    /^[0-9a-fA-F]+$/.test(trimmed) && trimmed.length % 2 === 0
      ? Buffer.from(trimmed, "hex")
      : Buffer.from(trimmed, "base64");
  if (key.length < MASTER_KEY_BYTES) {
    throw new MasterKeyError(
      `${source} is ${key.length} bytes, which is too short: give at least ${MASTER_KEY_BYTES} random bytes as base64 or hex (openssl rand -base64 32)`,
    );
  }
  return key;
}

/**
 * Returns the master key from `text` when given, else from `<dataDir>/master.key`,
 * creating that file (mode 0600, exclusive create) on first use.
 */
export async function loadMasterKey(
  text: string | undefined,
  dataDir: string,
): Promise<{ key: Buffer; source: "env" | "file" | "generated" }> {
  if (text) return { key: parseMasterKey("TUNNELFLEET_MASTER_KEY", text), source: "env" };

  const path = join(dataDir, MASTER_KEY_FILE);
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const generated = randomBytes(MASTER_KEY_BYTES).toString("base64");
  try {
    await writeFile(path, `${generated}\n`, { mode: 0o600, flag: "wx" });
    return { key: Buffer.from(generated, "base64"), source: "generated" };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  return { key: parseMasterKey(path, await readFile(path, "utf8")), source: "file" };
}
