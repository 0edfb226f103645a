// Removes everything the agent put on the node: stops its stunnel (by the pid in its own
// pid file), deletes the jump rules and our chains, and deletes the state and run files.
// Afterwards iptables-save prints what it printed before the first apply.
import { renderIptablesRemoval } from "@tunnelfleet/mesh";
import type { Agent } from "./agent";

export interface UninstallResult {
  stoppedPid?: number;
  /** Whether the normalised iptables-save equals the snapshot taken before the first apply. */
  rulesRestored: boolean | "no-snapshot";
  /** Lines that differ from the snapshot, when rulesRestored is false. */
  difference: string[];
}

export async function uninstall(agent: Agent): Promise<UninstallResult> {
  const { executor, paths, applier, stunnel, renderer } = agent;
  return applier.exclusive(async () => {
    const result: UninstallResult = { rulesRestored: "no-snapshot", difference: [] };

    const pid = await stunnel.readPid();
    if (pid) {
      await stunnel.stop(pid);
      result.stoppedPid = pid;
    }

    const live = await applier.liveGeneration();
    const snapshot = await executor.readFile(paths.netfilterSnapshot);
    const netfilter = await agent.netfilter();
    await netfilter.remove(live?.rules ?? renderIptablesRemoval(), renderer.jumpRules(), snapshot);

    if (snapshot !== undefined) {
      const now = await netfilter.snapshot();
      const before = snapshot.trimEnd().split("\n");
      const after = now.trimEnd().split("\n");
      result.difference = [
        ...before.filter((line) => !after.includes(line)).map((line) => `- ${line}`),
        ...after.filter((line) => !before.includes(line)).map((line) => `+ ${line}`),
      ];
      result.rulesRestored = result.difference.length === 0;
    }

    await executor.removePath(paths.stateDir);
    await executor.removePath(paths.pidFile);
    await executor.removePath(paths.logFile);
    agent.logger.info({ stoppedPid: result.stoppedPid, rulesRestored: result.rulesRestored }, "uninstalled");
    return result;
  });
}
