// Detects and repairs drift of the applied generation: stunnel dead, a listener missing,
// our chains flushed or altered, a jump rule deleted. Runs on a timer (default 30 s) and
// serialised with applies, so a repair never races a new bundle.
import type { Applier } from "./apply/applier";
import type { BundleRenderer } from "./apply/renderer";
import { writeAppliedState } from "./apply/state";
import type { HostExecutor } from "./executor/executor";
import type { Logger } from "./log";
import type { Netfilter } from "./netfilter/netfilter";
import type { AgentPaths } from "./paths";
import { parseAcceptAddresses } from "./stunnel/config";
import { missingListeners, type StunnelController } from "./stunnel/controller";

export interface DriftRepair {
  /** Findings, e.g. "stunnel not running", "nat TUNNELFLEET-OUTPUT: rules-altered". */
  found: string[];
  /** Repairs done. */
  repaired: string[];
  /** Repairs that failed, with the error. */
  failed: string[];
}

export interface DriftOptions {
  executor: HostExecutor;
  paths: AgentPaths;
  applier: Applier;
  stunnel: StunnelController;
  netfilter: () => Promise<Netfilter>;
  renderer: BundleRenderer;
  logger: Logger;
}

/** Checks the live generation once and repairs what differs. Does nothing before the first apply. */
export function checkAndRepairDrift(options: DriftOptions): Promise<DriftRepair> {
  return options.applier.exclusive(() => repairNow(options));
}

async function repairNow(options: DriftOptions): Promise<DriftRepair> {
  const { executor, paths, applier, stunnel, renderer, logger } = options;
  const report: DriftRepair = { found: [], repaired: [], failed: [] };
  const live = await applier.liveGeneration();
  const state = await applier.appliedState();
  if (!live || !state) return report;

  const accepts = parseAcceptAddresses(live.conf);
  try {
    const pid = await stunnel.readPid();
    if (!pid) {
      report.found.push("stunnel not running");
      const offset = await stunnel.logOffset();
      const started = await stunnel.start();
      await stunnel.confirm(started, accepts, offset);
      report.repaired.push(`started stunnel (pid ${started})`);
    } else {
      const missing = missingListeners(accepts, await executor.listListeningSockets());
      if (missing.length > 0) {
        report.found.push(
          `listeners missing: ${missing.map((accept) => `${accept.address}:${accept.port}`).join(", ")}`,
        );
        const offset = await stunnel.logOffset();
        await stunnel.reload(pid);
        await stunnel.confirm(pid, accepts, offset);
        report.repaired.push(`reloaded stunnel (pid ${pid})`);
      }
    }
  } catch (error) {
    report.failed.push(`stunnel: ${(error as Error).message}`);
  }

  try {
    const netfilter = await options.netfilter();
    const jumps = renderer.jumpRules();
    const findings = await netfilter.findDrift(live.rules, state.baseline, jumps);
    if (findings.length > 0) {
      report.found.push(...findings.map((finding) => `${finding.table} ${finding.chain}: ${finding.kind}`));
      const baseline = await netfilter.apply(live.rules, jumps);
      await writeAppliedState(executor, paths.stateFile, { ...state, baseline });
      report.repaired.push("re-applied our netfilter chains and jump rules");
    }
  } catch (error) {
    report.failed.push(`netfilter: ${(error as Error).message}`);
  }

  if (report.found.length > 0) {
    logger.warn({ generation: state.generation, ...report }, "drift found");
  }
  return report;
}

/** Runs the drift check every `intervalMs` until stopped, and passes each report with findings to `onRepair`. */
export function startDriftWatch(
  options: DriftOptions,
  intervalMs: number,
  onRepair: (report: DriftRepair) => void,
): () => void {
  let stopped = false;
  const timer = setInterval(() => {
    if (stopped) return;
    checkAndRepairDrift(options)
      .then((report) => {
        if (report.found.length > 0) onRepair(report);
      })
      .catch((error: Error) => options.logger.error({ err: error.message }, "drift check failed"));
  }, intervalMs);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
