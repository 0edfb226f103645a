// Test helpers: a private temp directory per suite and a runner for the openssl CLI, which
// the tests use as the independent oracle for everything this package produces.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface OpensslResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A scratch directory with helpers to write and read files in it. */
export class Workdir {
  readonly path = mkdtempSync(join(tmpdir(), "tunnelfleet-pki-"));

  file(name: string): string {
    return join(this.path, name);
  }

  write(name: string, content: string): string {
    const path = this.file(name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  }

  read(name: string): string {
    return readFileSync(this.file(name), "utf8");
  }

  /** Runs openssl in this directory; never throws on a non-zero exit. */
  openssl(args: string[], input?: string | Buffer): OpensslResult {
    const result = spawnSync("openssl", args, { cwd: this.path, input, encoding: "utf8", timeout: 60_000 });
    if (result.error) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
  }

  /** Runs openssl and throws with its stderr unless it exits 0. */
  opensslOk(args: string[], input?: string | Buffer): string {
    const result = this.openssl(args, input);
    if (result.status !== 0) {
      throw new Error(`openssl ${args.join(" ")} exited ${result.status}: ${result.stderr}`);
    }
    return result.stdout;
  }

  /** Runs a shell pipeline in this directory and returns its stdout; throws unless it exits 0. */
  shell(command: string): string {
    const result = spawnSync("bash", ["-o", "pipefail", "-c", command], {
      cwd: this.path,
      encoding: "utf8",
      timeout: 60_000,
    });
    if (result.error) throw result.error;
    if (result.status !== 0) throw new Error(`${command} exited ${result.status}: ${result.stderr}`);
    return result.stdout;
  }

  remove(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}
