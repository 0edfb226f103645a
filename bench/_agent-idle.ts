// Idle agent for bench/agent.ts: builds the agent, starts the drift watch, prints READY
// and waits, so the benchmark can read its resident memory. Run with node --import tsx.
import { createAgent } from "../apps/agent/src/agent";
import { startDriftWatch } from "../apps/agent/src/drift";

const stateDir = process.argv[2] ?? "/tmp/tunnelfleet-bench-idle";
const agent = createAgent({ stateDir, runDir: `${stateDir}/run` });
startDriftWatch(agent, 30_000, () => undefined);
process.stdout.write("READY\n");
setInterval(() => undefined, 60_000);
