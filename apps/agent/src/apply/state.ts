// The agent's record of what it applied last (state.json in the state directory).
import { z } from "zod";
import type { HostExecutor } from "../executor/executor";

const appliedStateSchema = z.object({
  generation: z.number().int().min(0),
  bundleHash: z.string(),
  /** Directory name under generations/ of the last generation that applied successfully. */
  generationDir: z.string(),
  appliedAt: z.string(),
  /** Rules of our chains as iptables-save printed them right after the apply, per table. */
  baseline: z.record(z.string(), z.array(z.string())),
});

export type AppliedState = z.infer<typeof appliedStateSchema>;

export async function readAppliedState(
  executor: HostExecutor,
  path: string,
): Promise<AppliedState | undefined> {
  const text = await executor.readFile(path);
  if (text === undefined) return undefined;
  const parsed = appliedStateSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new Error(
      `${path} is not a valid agent state file (${parsed.error.issues[0]?.message}); remove it and re-apply`,
    );
  }
  return parsed.data;
}

export async function writeAppliedState(
  executor: HostExecutor,
  path: string,
  state: AppliedState,
): Promise<void> {
  await executor.writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`, 0o600);
}
