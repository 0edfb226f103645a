#!/usr/bin/env node
// Entry point of the tunnelfleet-agent command: registers tsx so Node 20 runs the
// TypeScript sources directly (there is no build step), then starts the CLI.
import { register } from "tsx/esm/api";

register();
await import("../src/cli.ts");
