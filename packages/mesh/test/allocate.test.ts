import { describe, expect, it } from "vitest";
import {
  allocateLocalPorts,
  MeshValidationError,
  OUTBOUND_PORT_RANGE,
  outboundAllocationKey,
} from "../src/index";

describe("outboundAllocationKey", () => {
  it("joins the parts with slashes", () => {
    expect(outboundAllocationKey("c1", "h2", 5701)).toBe("c1/h2/5701");
  });
});

describe("allocateLocalPorts", () => {
  it("takes lowest ports in key order", () => {
    expect(allocateLocalPorts(["b", "a", "c"])).toEqual({
      a: OUTBOUND_PORT_RANGE.first + 1,
      b: OUTBOUND_PORT_RANGE.first,
      c: OUTBOUND_PORT_RANGE.first + 2,
    });
  });

  it("keeps previous ports", () => {
    const result = allocateLocalPorts(["a", "b", "c"], { a: 30000, b: 28000 });
    expect(result).toEqual({ a: 30000, b: 28000, c: 28001 });
  });

  it("drops removed keys and reuses their ports", () => {
    const result = allocateLocalPorts(["a", "c"], { a: 28000, b: 28001, c: 28002 });
    expect(result).toEqual({ a: 28000, c: 28002 });
    expect(allocateLocalPorts(["a", "c", "d"], result)).toEqual({ a: 28000, c: 28002, d: 28001 });
  });

  it("skips reserved ports", () => {
    expect(allocateLocalPorts(["a", "b"], {}, [28000, 28001], { first: 28000, last: 28010 })).toEqual({
      a: 28002,
      b: 28003,
    });
  });

  it("moves a previous port that became reserved", () => {
    expect(allocateLocalPorts(["a", "b"], { a: 28000, b: 28001 }, [28000])).toEqual({ a: 28002, b: 28001 });
  });

  it("replaces out-of-range and duplicate previous ports", () => {
    const result = allocateLocalPorts(["a", "b", "c"], { a: 80, b: 28005, c: 28005 });
    expect(result).toEqual({ a: 28000, b: 28005, c: 28001 });
  });

  it("ignores inherited keys of previous", () => {
    expect(allocateLocalPorts(["toString"], {})).toEqual({ toString: 28000 });
  });

  it("keeps a __proto__ key as data", () => {
    const result = allocateLocalPorts(["__proto__", "a"]);
    expect(Object.keys(result)).toEqual(["__proto__", "a"]);
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
  });

  it("throws when the range is full", () => {
    expect(() => allocateLocalPorts(["a", "b", "c"], {}, [], { first: 28000, last: 28001 })).toThrow(
      MeshValidationError,
    );
  });
});
