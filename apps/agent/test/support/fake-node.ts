// A simulated node for unit tests: a FakeExecutor whose `stunnel` and `iptables-nft*`
// behave like stunnel 5.68 and iptables 1.8.9 in the ways the applier depends on.
// Knobs make each step fail the way the real program does.
import { FakeExecutor } from "../../src/executor/fake-executor";
import { parseAcceptAddresses } from "../../src/stunnel/config";

export interface FakeNodeKnobs {
  /** `stunnel <conf>` exits 1 with a `[!]` line. */
  failStart: boolean;
  /** SIGHUP logs "Failed to reload the configuration file" and keeps the old listeners. */
  failReloadParse: boolean;
  /** iptables-nft-restore exits 2 and changes nothing. */
  failRestore: boolean;
}

export class FakeNode {
  readonly executor = new FakeExecutor();
  readonly knobs: FakeNodeKnobs = { failStart: false, failReloadParse: false, failRestore: false };
  /** restore texts applied, in order. */
  readonly restores: string[] = [];
  /** Current rules per chain ("table/chain" -> lines). */
  readonly chains = new Map<string, string[]>();
  readonly jumps = new Set<string>();
  /**
   * Addresses the node does not own: a service accepting on one fails to bind, and on a
   * SIGHUP every listener goes down (as stunnel 5.68 does).
   */
  readonly unownedAddresses = new Set<string>();
  /** Sockets of other programs. */
  foreignSockets: { address: string; port: number }[] = [];
  private nextPid = 4000;
  private confPath = "";

  constructor(
    readonly pidFile: string,
    readonly logFile: string,
  ) {
    const executor = this.executor;
    executor.on("stunnel", async (args) => {
      if (args[0] === "-version") {
        return {
          code: 0,
          stdout: "",
          stderr: "stunnel 5.68 on x86_64-pc-linux-gnu platform\nRunning  with OpenSSL 3.0.19\n",
        };
      }
      this.confPath = args[0]!;
      const conf = (await executor.readFile(this.confPath)) ?? "";
      const unbindable = parseAcceptAddresses(conf).find((accept) =>
        this.unownedAddresses.has(accept.address),
      );
      if (this.knobs.failStart || unbindable) {
        return {
          code: 1,
          stdout: "",
          stderr:
            "[!] Error binding service [x] to 10.9.9.9:16400\n[!] Cannot assign requested address (99)\n",
        };
      }
      const pid = this.nextPid++;
      executor.processes.set(pid, "stunnel");
      await executor.writeFileAtomic(pidFile, `${pid}\n`, 0o644);
      await this.appendLog("LOG5[ui]: Configuration successful");
      await this.bindFromConf();
      return { code: 0, stdout: "", stderr: "" };
    });
    executor.onSignal = (pid, signal) => {
      if (signal === "SIGTERM" || signal === "SIGKILL") {
        this.executor.listening = [...this.foreignSockets];
        return;
      }
      if (signal !== "SIGHUP") return;
      void this.reload();
      void pid;
    };
    executor.on("iptables", async () => ({ code: 0, stdout: "iptables v1.8.9 (nf_tables)\n", stderr: "" }));
    executor.on("iptables-nft-restore", async (_args, options) => {
      if (this.knobs.failRestore) return { code: 2, stdout: "", stderr: "iptables-restore: line 3 failed\n" };
      const text = options.input ?? "";
      this.restores.push(text);
      this.loadRestore(text);
      return { code: 0, stdout: "", stderr: "" };
    });
    executor.on("iptables-nft", async (args) => {
      const key = args.join(" ").replace(/ -[CID] (\S+)( 1)? /, " $1 ");
      if (args.includes("-C")) return { code: this.jumps.has(key) ? 0 : 1, stdout: "", stderr: "" };
      if (args.includes("-I")) this.jumps.add(key);
      if (args.includes("-D")) this.jumps.delete(key);
      return { code: 0, stdout: "", stderr: "" };
    });
    executor.on("iptables-nft-save", async (args) => {
      const table = args[1];
      const lines: string[] = [];
      for (const [name, rules] of this.chains) {
        const [chainTable, chain] = name.split("/");
        if (table && chainTable !== table) continue;
        lines.push(`:${chain} - [0:0]`, ...rules);
      }
      return { code: 0, stdout: `*${table ?? "nat"}\n${lines.join("\n")}\nCOMMIT\n`, stderr: "" };
    });
  }

  /** Sets sockets held by other programs. */
  setForeignSockets(sockets: { address: string; port: number }[]): void {
    this.foreignSockets = sockets;
    this.executor.listening = [...sockets, ...this.executor.listening];
  }

  /** Returns the pid of the simulated stunnel, or undefined when none runs. */
  stunnelPid(): number | undefined {
    return [...this.executor.processes.entries()].find(([, name]) => name === "stunnel")?.[0];
  }

  private async reload(): Promise<void> {
    if (this.knobs.failReloadParse) {
      this.knobs.failReloadParse = false;
      await this.appendLog("LOG3[main]: Failed to reload the configuration file");
      return;
    }
    await this.appendLog("LOG5[main]: Configuration successful");
    await this.bindFromConf();
  }

  private async bindFromConf(): Promise<void> {
    const conf = (await this.executor.readFile(this.confPath)) ?? "";
    const accepts = parseAcceptAddresses(conf);
    const unbindable = accepts.find((accept) => this.unownedAddresses.has(accept.address));
    if (unbindable) {
      await this.appendLog(`LOG3[main]: Binding service [${unbindable.service}] failed`);
      this.executor.listening = [...this.foreignSockets];
      return;
    }
    const bound = accepts.map((accept) => ({ address: accept.address, port: accept.port }));
    this.executor.listening = [...this.foreignSockets, ...bound];
  }

  private async appendLog(line: string): Promise<void> {
    const previous = (await this.executor.readFile(this.logFile)) ?? "";
    this.executor.files.set(this.logFile, { data: `${previous}2026.12.04 20:00:00 ${line}\n`, mode: 0o600 });
  }

  private loadRestore(text: string): void {
    let table = "";
    for (const line of text.split("\n")) {
      if (line.startsWith("*")) table = line.slice(1);
      const declaration = /^:(\S+) - /.exec(line);
      if (declaration) this.chains.set(`${table}/${declaration[1]}`, []);
      const rule = /^-A (\S+) /.exec(line);
      if (rule) this.chains.get(`${table}/${rule[1]}`)?.push(line);
      const flush = /^-F (\S+)/.exec(line);
      if (flush) this.chains.set(`${table}/${flush[1]}`, []);
      const remove = /^-X (\S+)/.exec(line);
      if (remove) this.chains.delete(`${table}/${remove[1]}`);
    }
  }
}
