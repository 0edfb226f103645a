// `npm run demo -- --no-wait` as an operator runs it (as root): every step must pass,
// the proof and the credentials must be printed, and nothing the demo created may be
// left: no namespace, no process, no file, no listener.
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { type AddressInfo, connect, createServer } from "node:net";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { NAMESPACE_PREFIX } from "../lab";

const ROOT = join(import.meta.dirname, "..", "..", "..");
const isRoot = process.getuid?.() === 0;

function runDemo(args: string[], timeoutMs: number): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("npm", ["run", "demo", "--", "--no-wait", ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    // SIGTERM lets the demo clean up, as on Ctrl-C; the test then fails on the exit code.
    const timer = setTimeout(() => child.kill("SIGTERM"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

describe.skipIf(!isRoot)("npm run demo -- --no-wait", () => {
  it("proves the tunnels and removes everything it created", async () => {
    const { code, output } = await runDemo(["--port", "0"], 720_000);

    expect(output, output).toContain(
      "[11/11] Write a canary on the primary, read it on both replicas, check the capture: done",
    );
    expect(code, output).toBe(0);
    expect(output).toMatch(
      /Proof: the canary tf-canary-[0-9a-f]+ was written on redis-primary and read on both replicas/,
    );
    expect(output).toMatch(
      /[1-9]\d* stream directions on tunnel ports 19200, 19201 checked from their first byte: [1-9]\d* TLS records/,
    );
    expect(output).toContain("no canary bytes, no segment on app ports 6379/16379");
    for (const host of ["redis-primary", "redis-replica-1", "redis-replica-2"]) {
      expect(output).toMatch(new RegExp(`joined https://10\\.215\\.0\\.100:8443 as host ${host} `));
    }
    // The join token's secret is never printed; the generated password is, once.
    expect(output).not.toMatch(/--token tfj_/);
    expect(output.match(/^Password: \S+/gm)).toHaveLength(1);

    const consolePort = Number(/^Console: +http:\/\/127\.0\.0\.1:(\d+)$/m.exec(output)?.[1]);
    expect(consolePort).toBeGreaterThan(0);
    expectNothingLeft(output);
    expect(await canConnect(consolePort)).toBe(false);
  });

  it("names the failed step and its fix, and still removes everything", async () => {
    const occupied = createServer();
    await new Promise<void>((resolve) => occupied.listen(0, "127.0.0.1", () => resolve()));
    const port = (occupied.address() as AddressInfo).port;
    try {
      const { code, output } = await runDemo(["--port", String(port)], 600_000);

      expect(code, output).toBe(1);
      expect(output).toContain(
        'FAILED at step 5/11 "Start the control plane (console, gateway, embedded PostgreSQL)"',
      );
      expect(output).toContain(`127.0.0.1:${port} is already in use; pass --port <free port> or --port 0`);
      expect(output).toMatch(/^ {2}fix: .*--port <free port>/m);
      expect(output).not.toContain("[ 6/11]");
      expectNothingLeft(output);
    } finally {
      occupied.close();
    }
  });
});

/** Checks that the namespaces, files and processes the demo printed are all gone. */
function expectNothingLeft(output: string): void {
  const lab = /namespaces (tf-demo-[0-9a-f]+)-\*, files in (\S+)/.exec(output);
  expect(lab, output).not.toBeNull();
  const [, prefix, workDir] = lab as unknown as [string, string, string];
  expect(prefix.startsWith(NAMESPACE_PREFIX)).toBe(true);

  const namespaces = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
  expect(namespaces.split("\n").filter((line) => line.startsWith(prefix))).toEqual([]);
  expect(existsSync(workDir)).toBe(false);
  // Agents, stunnel, Redis, tcpdump and PostgreSQL all name the work directory in their arguments.
  const processes = spawnSync("ps", ["-eo", "pid,args"], { encoding: "utf8" }).stdout;
  expect(processes.split("\n").filter((line) => line.includes(workDir))).toEqual([]);
}
