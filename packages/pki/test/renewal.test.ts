import { describe, expect, it } from "vitest";
import { renewalDueAt } from "../src/index";

const notBefore = new Date("2026-01-01T00:00:00Z");
const notAfter = new Date("2026-01-31T00:00:00Z");
const lifetime = notAfter.getTime() - notBefore.getTime();

function fractionOf(date: Date): number {
  return (date.getTime() - notBefore.getTime()) / lifetime;
}

describe("renewalDueAt", () => {
  it("stays within 2/3 of the lifetime plus or minus 5%", () => {
    let lowest = 1;
    let highest = 0;
    for (let draw = 0; draw < 10_000; draw++) {
      const fraction = fractionOf(renewalDueAt({ notBefore, notAfter }));
      lowest = Math.min(lowest, fraction);
      highest = Math.max(highest, fraction);
    }

    expect(lowest).toBeGreaterThanOrEqual(2 / 3 - 0.05 - 1e-9);
    expect(highest).toBeLessThanOrEqual(2 / 3 + 0.05 + 1e-9);
    expect(highest).toBeLessThanOrEqual(0.8);
    // 10,000 uniform draws cover both ends of the window; a missing jitter would collapse it.
    expect(highest - lowest).toBeGreaterThan(0.09);
  });

  it("maps the random draw onto the window", () => {
    expect(fractionOf(renewalDueAt({ notBefore, notAfter }, () => 0))).toBeCloseTo(2 / 3 - 0.05, 9);
    expect(fractionOf(renewalDueAt({ notBefore, notAfter }, () => 0.5))).toBeCloseTo(2 / 3, 9);
    expect(fractionOf(renewalDueAt({ notBefore, notAfter }, () => 0.999999))).toBeCloseTo(2 / 3 + 0.05, 5);
  });

  it("clamps a misbehaving random source", () => {
    expect(fractionOf(renewalDueAt({ notBefore, notAfter }, () => 7))).toBeLessThanOrEqual(0.8);
    expect(fractionOf(renewalDueAt({ notBefore, notAfter }, () => -3))).toBeGreaterThanOrEqual(2 / 3 - 0.05);
  });

  it("rejects an empty validity window", () => {
    expect(() => renewalDueAt({ notBefore: notAfter, notAfter: notBefore })).toThrow(
      /is not after notBefore/,
    );
  });
});
