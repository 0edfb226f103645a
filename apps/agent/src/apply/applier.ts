// Applies a bundle as a transaction: validate and preflight, stage a generation directory,
// switch the `current` link, start or reload stunnel and confirm it, then replace our
// netfilter chains. A failure in the stunnel or netfilter step switches back to the last
// good generation and reloads it. Redirect rules are only ever replaced by newer ones
// that point at confirmed listeners, so the app never reaches a peer's plaintext port.
import { randomBytes } from "node:crypto";
import { join } from "node:path";
import type { HostPlan } from "@tunnelfleet/mesh";
import { type Bundle, bundleSchema } from "@tunnelfleet/protocol";
import type { HostExecutor } from "../executor/executor";
import type { Logger } from "../log";
import { type Netfilter, NetfilterError } from "../netfilter/netfilter";
import { type AgentPaths, GENERATION_FILES, stunnelPathsFor } from "../paths";
import { Serializer } from "../serializer";
import { type AcceptAddress, parseAcceptAddresses, restartOnlyChanges } from "../stunnel/config";
import type { StunnelController } from "../stunnel/controller";
import { detectStunnelVersion } from "../stunnel/version";
import { cutConnections, inboundFilters, removedPeerFilters, revokedSerials } from "./cut-connections";
import {
  checkAcceptPorts,
  checkAddressFamilies,
  checkCrls,
  checkLeaf,
  checkStunnelVersion,
  PreflightError,
  selectTunnelKey,
} from "./preflight";
import type { BundleRenderer } from "./renderer";
import { type AppliedState, readAppliedState, writeAppliedState } from "./state";

/** A bundle as the gateway sends it, without the message `type`. */
export type AgentBundle = Omit<Bundle, "type">;

export type ApplyStep = "validate" | "preflight" | "stage" | "stunnel" | "netfilter";

export interface ApplyResult {
  ok: boolean;
  generation: number;
  bundleHash: string;
  durationMs: number;
  /** Set when ok is false: what failed, on which value, and what to do. */
  error?: string;
  failedStep?: ApplyStep;
  /** Whether the last good generation was put back after the failure. */
  rolledBack: boolean;
  /** Set when putting the last good generation back failed as well. */
  rollbackError?: string;
  /** Whether stunnel was restarted (a restart-only option changed) rather than reloaded. */
  restarted: boolean;
  stunnelPid?: number;
}

/** The generation `current` points at: its directory (relative to the state dir) and files. */
export interface LiveGeneration {
  target: string;
  conf: string;
  rules: string;
  /** Plan and CRLs of the generation, when its bundle.json is readable. */
  plan?: HostPlan;
  crlPems: string[];
}

export interface ApplierOptions {
  executor: HostExecutor;
  paths: AgentPaths;
  renderer: BundleRenderer;
  stunnel: StunnelController;
  /** Resolved lazily, because backend detection runs a command. */
  netfilter: () => Promise<Netfilter>;
  logger: Logger;
  /** Number of old generation directories kept for inspection and rollback. */
  keepGenerations?: number;
  now?: () => Date;
}

const bundleBodySchema = bundleSchema.omit({ type: true });

class StepError extends Error {
  constructor(
    readonly step: ApplyStep,
    message: string,
  ) {
    super(message);
  }
}

export class Applier {
  private readonly serializer = new Serializer();
  private readonly now: () => Date;

  constructor(private readonly options: ApplierOptions) {
    this.now = options.now ?? (() => new Date());
  }

  /** Runs a task while no apply or other task runs. */
  exclusive<T>(task: () => Promise<T>): Promise<T> {
    return this.serializer.run(task);
  }

  apply(bundle: AgentBundle): Promise<ApplyResult> {
    return this.serializer.run(() => this.applyNow(bundle));
  }

  async appliedState(): Promise<AppliedState | undefined> {
    return readAppliedState(this.options.executor, this.options.paths.stateFile);
  }

  /** Reads the generation stunnel runs now, or undefined before the first successful apply. */
  async liveGeneration(): Promise<LiveGeneration | undefined> {
    const { executor, paths } = this.options;
    const target = await executor.readSymlink(paths.currentLink);
    if (!target) return undefined;
    const directory = join(paths.stateDir, target);
    const conf = await executor.readFile(join(directory, GENERATION_FILES.conf));
    const rules = await executor.readFile(join(directory, GENERATION_FILES.rules));
    if (conf === undefined || rules === undefined) return undefined;
    const record = await executor.readFile(join(directory, GENERATION_FILES.bundle));
    const plan = record ? (JSON.parse(record) as { plan?: HostPlan }).plan : undefined;
    const crl = await executor.readFile(join(directory, GENERATION_FILES.crlFile));
    const crlPems = (crl ?? "")
      .split(/(?<=-----END X509 CRL-----)/)
      .filter((pem) => pem.includes("BEGIN X509 CRL"));
    return { target, conf, rules, ...(plan ? { plan } : {}), crlPems };
  }

  private async applyNow(bundle: AgentBundle): Promise<ApplyResult> {
    const started = Date.now();
    const { executor, paths, renderer, stunnel, logger } = this.options;
    const log = logger.child({ generation: bundle.generation, bundleHash: bundle.bundleHash });
    const result: ApplyResult = {
      ok: false,
      generation: bundle.generation,
      bundleHash: bundle.bundleHash,
      durationMs: 0,
      rolledBack: false,
      restarted: false,
    };
    const finish = (error?: unknown, step?: ApplyStep): ApplyResult => {
      result.durationMs = Date.now() - started;
      if (error === undefined) {
        result.ok = true;
        log.info({ durationMs: result.durationMs, restarted: result.restarted }, "bundle applied");
      } else {
        const message = error instanceof Error ? error.message : String(error);
        result.error = result.rollbackError
          ? `${message}; rollback failed too: ${result.rollbackError}`
          : message;
        result.failedStep = error instanceof StepError ? error.step : step;
        log.error(
          { step: result.failedStep, err: result.error, rolledBack: result.rolledBack },
          "bundle apply failed",
        );
      }
      return result;
    };

    // 1. Validate, render and preflight. Nothing on the node changes before this passes.
    let conf: string;
    let rules: string;
    let accepts: AcceptAddress[];
    let tunnelKey: { path: string; pem: string } | undefined;
    const previous = await this.liveGeneration();
    try {
      const parsed = bundleBodySchema.safeParse(bundle);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new StepError(
          "validate",
          `invalid bundle: field '${issue?.path.join(".")}': ${issue?.message}`,
        );
      }
      // A plan without services runs no stunnel (stunnel refuses a config without services).
      conf =
        bundle.plan.services.length > 0
          ? renderer.stunnelConf(bundle.plan, stunnelPathsFor(paths, bundle.crlPems.length > 0))
          : "";
      rules = renderer.iptablesRestore(bundle.plan);
      accepts = parseAcceptAddresses(conf);

      checkAddressFamilies(bundle.plan);
      checkStunnelVersion(await detectStunnelVersion(executor, stunnel.files.binary), stunnel.files.binary);
      const runningPid = await stunnel.readPid();
      const ours = previous && runningPid ? parseAcceptAddresses(previous.conf) : [];
      checkAcceptPorts(accepts, ours, await executor.listListeningSockets());

      if (bundle.leafCertPem) {
        tunnelKey = await selectTunnelKey(bundle.leafCertPem, [
          { path: paths.tunnelKey, pem: await executor.readFile(paths.tunnelKey) },
          { path: paths.tunnelNextKey, pem: await executor.readFile(paths.tunnelNextKey) },
        ]);
        await checkLeaf(bundle.leafCertPem, bundle.trustedCaPems, this.now());
        await checkCrls(executor, bundle.crlPems, this.now());
      } else if (bundle.plan.services.length > 0) {
        throw new PreflightError(
          "the bundle has stunnel services but no leaf certificate yet; the agent sends a CSR and waits for the signed leaf",
        );
      }
    } catch (error) {
      return finish(error, error instanceof StepError ? error.step : "preflight");
    }

    // 2. Stage the generation directory, switch `current` to it and copy its stunnel.conf to
    //    the path stunnel reads.
    const directoryName = `${bundle.generation}-${randomBytes(3).toString("hex")}`;
    const target = join("generations", directoryName);
    try {
      const directory = join(paths.stateDir, target);
      await executor.makeDirectory(paths.stateDir, 0o700);
      await executor.makeDirectory(paths.generationsDir, 0o700);
      await executor.makeDirectory(directory, 0o700);
      await executor.makeDirectory(paths.runDir, 0o700);
      await executor.writeFileAtomic(join(directory, GENERATION_FILES.conf), conf, 0o600);
      await executor.writeFileAtomic(join(directory, GENERATION_FILES.rules), rules, 0o600);
      await executor.writeFileAtomic(join(directory, GENERATION_FILES.cert), bundle.leafCertPem ?? "", 0o644);
      await executor.writeFileAtomic(join(directory, GENERATION_FILES.key), tunnelKey?.pem ?? "", 0o600);
      await executor.writeFileAtomic(
        join(directory, GENERATION_FILES.caFile),
        bundle.trustedCaPems.join("\n"),
        0o644,
      );
      if (bundle.crlPems.length > 0) {
        await executor.writeFileAtomic(
          join(directory, GENERATION_FILES.crlFile),
          bundle.crlPems.join("\n"),
          0o644,
        );
      }
      const record = { generation: bundle.generation, bundleHash: bundle.bundleHash, plan: bundle.plan };
      await executor.writeFileAtomic(
        join(directory, GENERATION_FILES.bundle),
        `${JSON.stringify(record, null, 2)}\n`,
        0o600,
      );
      await executor.replaceSymlink(target, paths.currentLink);
      await executor.writeFileAtomic(paths.stunnelConf, conf, 0o600);
    } catch (error) {
      if (previous) {
        await executor.replaceSymlink(previous.target, paths.currentLink).catch(() => undefined);
        await executor.writeFileAtomic(paths.stunnelConf, previous.conf, 0o600).catch(() => undefined);
      }
      return finish(
        new StepError("stage", `staging generation ${directoryName} failed: ${(error as Error).message}`),
      );
    }

    // 3. Start, restart or reload stunnel, and confirm every listener.
    try {
      const pid = await stunnel.readPid();
      if (conf === "") {
        if (pid) await stunnel.stop(pid);
      } else if (!pid) {
        const offset = await stunnel.logOffset();
        result.stunnelPid = await stunnel.start();
        await stunnel.confirm(result.stunnelPid, accepts, offset);
      } else if (restartOnlyChanges(previous?.conf ?? "", conf).length > 0) {
        log.info(
          { options: restartOnlyChanges(previous?.conf ?? "", conf) },
          "restarting stunnel for options SIGHUP does not reload",
        );
        await stunnel.stop(pid);
        result.restarted = true;
        const offset = await stunnel.logOffset();
        result.stunnelPid = await stunnel.start();
        await stunnel.confirm(result.stunnelPid, accepts, offset);
      } else {
        const offset = await stunnel.logOffset();
        await stunnel.reload(pid);
        result.stunnelPid = pid;
        await stunnel.confirm(pid, accepts, offset);
      }
    } catch (error) {
      await this.rollBack(previous, rules, false, log, result);
      return finish(new StepError("stunnel", (error as Error).message));
    }

    // 4. Replace our netfilter chains; the old redirects stay until this succeeds.
    let baseline: AppliedState["baseline"];
    try {
      const netfilter = await this.options.netfilter();
      if ((await executor.readFile(paths.netfilterSnapshot)) === undefined) {
        await executor.writeFileAtomic(paths.netfilterSnapshot, `${await netfilter.snapshot()}\n`, 0o600);
      }
      baseline = await netfilter.apply(rules, renderer.jumpRules());
    } catch (error) {
      const chainsReplaced = error instanceof NetfilterError && error.chainsReplaced;
      await this.rollBack(previous, rules, chainsReplaced, log, result);
      return finish(new StepError("netfilter", (error as Error).message));
    }

    // 5. End connections the new generation no longer allows: those of peers that left
    //    the plan, and every inbound one when the CRLs revoke a serial they did not before.
    await this.cutDisallowedConnections(previous, bundle, log);

    // 6. Record the generation and retire what it replaced. The data plane already runs
    //    the new generation, so a failure here is reported but not rolled back.
    try {
      await writeAppliedState(executor, paths.stateFile, {
        generation: bundle.generation,
        bundleHash: bundle.bundleHash,
        generationDir: directoryName,
        appliedAt: this.now().toISOString(),
        baseline,
      });
      if (tunnelKey?.path === paths.tunnelNextKey) {
        await executor.writeFileAtomic(paths.tunnelKey, tunnelKey.pem, 0o600);
        await executor.removePath(paths.tunnelNextKey);
        log.info("renewed tunnel key is now the current key");
      }
      await this.pruneGenerations(directoryName, previous?.target);
    } catch (error) {
      return finish(
        new StepError(
          "stage",
          `generation ${directoryName} runs, but recording it failed: ${(error as Error).message}`,
        ),
      );
    }
    return finish();
  }

  /**
   * Puts the previous generation back and reloads stunnel with it. Without a previous
   * generation it stops stunnel and removes our chains, which is the state before the
   * first apply. Failures here are logged and added to the result's error, not thrown.
   */
  private async rollBack(
    previous: LiveGeneration | undefined,
    failedRules: string,
    rulesTouched: boolean,
    log: Logger,
    result: ApplyResult,
  ): Promise<void> {
    const { executor, paths, stunnel, renderer } = this.options;
    try {
      if (!previous) {
        const pid = await stunnel.readPid();
        if (pid) await stunnel.stop(pid);
        await executor.removePath(paths.currentLink);
        await executor.removePath(paths.stunnelConf);
        if (rulesTouched) await (await this.options.netfilter()).remove(failedRules, renderer.jumpRules());
        result.rolledBack = true;
        log.warn("first apply failed; stunnel stopped and nothing left applied");
        return;
      }

      await executor.replaceSymlink(previous.target, paths.currentLink);
      await executor.writeFileAtomic(paths.stunnelConf, previous.conf, 0o600);
      const accepts = parseAcceptAddresses(previous.conf);
      const pid = await stunnel.readPid();
      const offset = await stunnel.logOffset();
      if (previous.conf === "") {
        if (pid) await stunnel.stop(pid);
      } else if (pid) {
        await stunnel.reload(pid);
        await stunnel.confirm(pid, accepts, offset);
      } else {
        const started = await stunnel.start();
        await stunnel.confirm(started, accepts, offset);
      }
      if (rulesTouched) await (await this.options.netfilter()).apply(previous.rules, renderer.jumpRules());
      result.rolledBack = true;
      log.warn({ restored: previous.target }, "rolled back to the last good generation");
    } catch (error) {
      log.error({ err: (error as Error).message }, "rollback failed");
      result.rollbackError = (error as Error).message;
    }
  }

  private async cutDisallowedConnections(
    previous: LiveGeneration | undefined,
    bundle: AgentBundle,
    log: Logger,
  ): Promise<void> {
    if (!previous?.plan) return;
    const { executor } = this.options;
    try {
      const filters = removedPeerFilters(previous.plan, bundle.plan);
      const before = await revokedSerials(executor, previous.crlPems);
      const after = await revokedSerials(executor, bundle.crlPems);
      const newlyRevoked = [...after].filter((serial) => !before.has(serial));
      if (newlyRevoked.length > 0) filters.push(...inboundFilters(bundle.plan));
      if (filters.length === 0) return;

      const failures = await cutConnections(executor, filters);
      log.info(
        { filters: filters.length, failures, newlyRevoked: newlyRevoked.length },
        "cut disallowed tunnel connections",
      );
    } catch (error) {
      log.error({ err: (error as Error).message }, "cutting disallowed connections failed");
    }
  }

  private async pruneGenerations(keep: string, previousTarget: string | undefined): Promise<void> {
    const { executor, paths } = this.options;
    const limit = this.options.keepGenerations ?? 3;
    const previousName = previousTarget?.split("/").pop();
    const names = (await executor.listDirectory(paths.generationsDir))
      .filter((name) => name !== keep && name !== previousName)
      .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10));
    for (const name of names.slice(0, Math.max(0, names.length - limit))) {
      await executor.removePath(join(paths.generationsDir, name));
    }
  }
}
