// Remembers, in this browser, the rendered configuration of each host at the generation
// its agent applied, so the host page can diff a newer rendering against it.
// NOTE: the API renders only the desired generation and keeps no text of past ones, so a
// diff is available only for generations this browser saw while the host was in sync.

export interface RenderedConfig {
  generation: number;
  stunnelConf: string;
  iptablesRules: string;
}

const PREFIX = "tf_applied_config:";

export interface ConfigStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

/** Stores the rendering of `hostId` that its agent reported applied. */
export function rememberApplied(store: ConfigStore, hostId: string, config: RenderedConfig): void {
  try {
    store.setItem(PREFIX + hostId, JSON.stringify(config));
  } catch {
    // A full or disabled storage only costs the diff.
  }
}

/** Returns the stored rendering of `hostId` at `generation`, or null. */
export function recallApplied(store: ConfigStore, hostId: string, generation: number): RenderedConfig | null {
  try {
    const text = store.getItem(PREFIX + hostId);
    if (!text) return null;
    const config = JSON.parse(text) as Partial<RenderedConfig>;
    if (
      config.generation !== generation ||
      typeof config.stunnelConf !== "string" ||
      typeof config.iptablesRules !== "string"
    ) {
      return null;
    }
    return { generation, stunnelConf: config.stunnelConf, iptablesRules: config.iptablesRules };
  } catch {
    return null;
  }
}
