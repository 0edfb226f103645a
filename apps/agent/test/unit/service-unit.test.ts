import { describe, expect, it } from "vitest";
import { renderServiceUnit } from "../../src/service-unit";

describe("renderServiceUnit", () => {
  const unit = renderServiceUnit({
    command: ["/usr/bin/node", "/opt/tunnel fleet/bin/tunnelfleet-agent.mjs"],
    stateDir: "/etc/tunnelfleet",
    runDir: "/run/tunnelfleet",
  });

  it("runs the agent with its directories", () => {
    expect(unit).toContain(
      'ExecStart=/usr/bin/node "/opt/tunnel fleet/bin/tunnelfleet-agent.mjs" run --state-dir /etc/tunnelfleet --run-dir /run/tunnelfleet',
    );
  });

  it("leaves the stunnel daemon alone on stop", () => {
    expect(unit).toContain("KillMode=process");
  });

  it("restarts the agent after a crash", () => {
    expect(unit).toContain("Restart=always");
  });
});
