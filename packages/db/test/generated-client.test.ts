import { spawnSync } from "node:child_process";
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
const repositoryDir = join(packageDir, "..", "..");
const committedDir = join(packageDir, "src", "generated", "prisma");

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
    .sort();
}

/** The generator embeds the schema, including its own output path, which differs here. */
function withoutOutputPath(source: string): string {
  return source.replace(/output\s*=\s*\\"[^\\]*\\"/g, "output = <path>");
}

describe("generated Prisma client", () => {
  it("matches prisma/schema.prisma", async () => {
    // Generate under this package so the generator reads the same tsconfig as for the committed client.
    const cacheDir = join(packageDir, "node_modules", ".cache");
    await mkdir(cacheDir, { recursive: true });
    const scratch = await mkdtemp(join(cacheDir, "generated-client-"));
    try {
      const schema = await readFile(join(repositoryDir, "prisma", "schema.prisma"), "utf8");
      await writeFile(
        join(scratch, "schema.prisma"),
        schema.replace(/output\s*=\s*"[^"]*"/, 'output = "./prisma"'),
      );
      const result = spawnSync(
        join(repositoryDir, "node_modules", ".bin", "prisma"),
        ["generate", "--schema", "schema.prisma"],
        {
          cwd: scratch,
          encoding: "utf8",
          env: {
            ...process.env,
            PRISMA_SCHEMA_ENGINE_BINARY: process.execPath,
            // Without it the CLI sends a version check (telemetry) to Prisma's servers.
            CHECKPOINT_DISABLE: "1",
            PRISMA_HIDE_UPDATE_MESSAGE: "1",
          },
        },
      );
      expect(result.status, result.stderr).toBe(0);

      const generatedDir = join(scratch, "prisma");
      const files = await listFiles(generatedDir);
      // When this fails: run `npm run db:generate` and commit packages/db/src/generated.
      expect(await listFiles(committedDir)).toEqual(files);
      for (const file of files) {
        const expected = withoutOutputPath(await readFile(join(generatedDir, file), "utf8"));
        const actual = withoutOutputPath(await readFile(join(committedDir, file), "utf8"));
        expect(actual, file).toBe(expected);
      }
    } finally {
      await rm(scratch, { recursive: true, force: true });
    }
  });
});
