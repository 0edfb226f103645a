import { describe, expect, it } from "vitest";
import { actorBadge } from "./actor";

describe("actorBadge", () => {
  it("omits the badge for named users", () => {
    expect(actorBadge("user", "admin")).toBeNull();
  });

  it("omits a type the name already says", () => {
    expect(actorBadge("system", "system")).toBeNull();
    expect(actorBadge("agent", "unenrolled agent")).toBeNull();
    expect(actorBadge("api_token", "ci token")).toBeNull();
  });

  it("keeps a type the name does not say", () => {
    expect(actorBadge("system", "setup")).toBe("system");
    expect(actorBadge("agent", "redis-primary")).toBe("agent");
    expect(actorBadge("api_token", "deploy")).toBe("api_token");
  });

  it("shows unknown types and nothing without a name", () => {
    expect(actorBadge("robot", "r2")).toBe("robot");
    expect(actorBadge("agent", null)).toBeNull();
  });
});
