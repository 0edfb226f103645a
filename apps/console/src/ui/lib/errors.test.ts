import { describe, expect, it } from "vitest";
import { describeError, fieldMessage, issueLine, issuesNotInline, relabel } from "./errors";

function apiError(message: string, data: unknown): Error {
  return Object.assign(new Error(message), { data });
}

describe("describeError", () => {
  it("reads the code and the service issues", () => {
    const error = apiError("invalid name", {
      code: "BAD_REQUEST",
      issues: [{ field: "name", value: "a b", message: "name: expected letters, digits, '-' or '_'" }],
    });
    const problem = describeError(error);
    expect(problem.code).toBe("BAD_REQUEST");
    expect(problem.message).toBe("invalid name");
    expect(problem.fields).toEqual([
      { field: "name", message: "name: expected letters, digits, '-' or '_'" },
    ]);
  });

  it("handles values that are not errors", () => {
    expect(describeError("boom")).toEqual({ code: undefined, message: "boom", fields: [] });
  });
});

describe("fieldMessage", () => {
  const error = apiError("invalid input", {
    issues: [
      { field: "appPorts[1]", message: "port 0 is out of range" },
      { field: "tls.leafLifetimeDays", message: "must be at most 825" },
    ],
  });

  it("matches nested paths of a field", () => {
    expect(fieldMessage(error, "appPorts")).toBe("port 0 is out of range");
    expect(fieldMessage(error, "tls.leafLifetimeDays")).toBe("must be at most 825");
  });

  it("puts the label in place of the path", () => {
    const relabelled = apiError("invalid input", {
      issues: [{ field: "appPorts[1]", message: "appPorts[1] 0 is out of range" }],
    });
    expect(fieldMessage(relabelled, "appPorts", "Protected ports")).toBe("Protected ports 0 is out of range");
  });

  it("does not match a field that only shares a prefix", () => {
    expect(fieldMessage(error, "app")).toBeUndefined();
    expect(fieldMessage(undefined, "name")).toBeUndefined();
  });
});

describe("issueLine", () => {
  it("names the field once", () => {
    expect(issueLine({ field: "name", message: "name: too long" })).toBe("name: too long");
    expect(issueLine({ field: "name", message: "too long" })).toBe("name: too long");
  });
});

describe("relabel", () => {
  it("keeps a message that does not start with the path", () => {
    expect(relabel({ field: "name", message: "too long" }, "Name")).toBe("too long");
  });

  it("keeps the text after the path", () => {
    expect(relabel({ field: "password", message: "password is too short" }, "Password")).toBe(
      "Password is too short",
    );
    expect(relabel({ field: "name", message: "name: too long" }, "Name")).toBe("Name: too long");
  });
});

describe("issuesNotInline", () => {
  const problem = describeError(
    apiError("invalid input", {
      issues: [
        { field: "appPorts[1]", message: "port 0 is out of range" },
        { field: "tls.keyType", message: "unknown key type" },
      ],
    }),
  );

  it("drops issues shown next to an input", () => {
    expect(issuesNotInline(problem, ["appPorts"])).toEqual([
      { field: "tls.keyType", message: "unknown key type" },
    ]);
  });

  it("keeps every issue without inline fields", () => {
    expect(issuesNotInline(problem, [])).toHaveLength(2);
  });
});
