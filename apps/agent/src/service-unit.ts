// The systemd unit `install-service` writes. stunnel runs as its own daemon (not a child
// of the agent), so restarting or stopping the agent never touches the data plane:
// KillMode=process keeps systemd from signalling the daemon it forked.

export interface ServiceUnitOptions {
  /** Command line that runs the agent, e.g. ["/usr/bin/node", ".../bin/tunnelfleet-agent.mjs"]. */
  command: string[];
  stateDir: string;
  runDir: string;
}

export function renderServiceUnit(options: ServiceUnitOptions): string {
  const quote = (part: string) =>
    /^[A-Za-z0-9_./:=@-]+$/.test(part) ? part : `"${part.replace(/(["\\])/g, "\\$1")}"`;
  const execStart = [...options.command, "run", "--state-dir", options.stateDir, "--run-dir", options.runDir]
    .map(quote)
    .join(" ");
  return [
    "[Unit]",
    "Description=Tunnelfleet node agent",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=simple",
    `ExecStart=${execStart}`,
    "Restart=always",
    "RestartSec=5",
    "KillMode=process",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}
