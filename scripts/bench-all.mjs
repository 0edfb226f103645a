#!/usr/bin/env node
// Runs every benchmark under bench/ (or the ones named on the command line) one after
// the other. Benchmarks print their own figures and budget ratios; none of them fails
// on timing, so the exit code only reports a benchmark that crashed.
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";

const named = process.argv.slice(2);
const all = readdirSync("bench")
  .filter((file) => file.endsWith(".ts") && !file.startsWith("_") && !file.startsWith("sim-"))
  .map((file) => file.replace(/\.ts$/, ""))
  .sort();
const selected = named.length > 0 ? named : all;

let crashed = 0;
for (const name of selected) {
  if (!all.includes(name)) {
    console.error(`unknown benchmark "${name}": choose one of ${all.join(", ")}`);
    process.exit(2);
  }
  console.log(`\n=== bench/${name}.ts`);
  const result = spawnSync("npx", ["tsx", `bench/${name}.ts`], { stdio: "inherit" });
  if (result.status !== 0) {
    crashed += 1;
    console.error(`bench/${name}.ts exited with ${result.status ?? result.signal}`);
  }
}
process.exit(crashed > 0 ? 1 : 0);
