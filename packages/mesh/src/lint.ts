// A lint for stunnel.conf text: rejects the settings that make a tunnel trust too much or
// listen too widely. The agent runs it on every config before writing it.
import ipaddr from "ipaddr.js";
import type { ValidationIssue } from "./model";

interface Section {
  name: string;
  line: number;
  options: Map<string, { value: string; line: number }>;
}

function parse(text: string): { global: Section; services: Section[]; issues: ValidationIssue[] } {
  const global: Section = { name: "global", line: 0, options: new Map() };
  const services: Section[] = [];
  const issues: ValidationIssue[] = [];
  let current = global;

  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    const number = index + 1;
    if (line === "" || line.startsWith(";") || line.startsWith("#")) return;

    const header = /^\[(.*)\]$/.exec(line);
    if (header) {
      current = { name: header[1]!, line: number, options: new Map() };
      services.push(current);
      return;
    }
    const equals = line.indexOf("=");
    if (equals <= 0) {
      issues.push({
        field: `line ${number}`,
        value: raw,
        message: `line ${number} ${JSON.stringify(raw)} is neither a section nor an option: write "name = value"`,
      });
      return;
    }
    const name = line.slice(0, equals).trim().toLowerCase();
    current.options.set(name, { value: line.slice(equals + 1).trim(), line: number });
  });
  return { global, services, issues };
}

/** Splits a stunnel `[host:]port` at its last colon, as stunnel does; host is undefined for a bare port. */
function splitEndpoint(value: string): { host: string | undefined; port: string } {
  const colon = value.lastIndexOf(":");
  if (colon < 0) return { host: undefined, port: value };
  return { host: value.slice(0, colon), port: value.slice(colon + 1) };
}

function isLoopback(host: string): boolean {
  if (host === "localhost") return true;
  if (!ipaddr.isValid(host)) return false;
  return ipaddr.parse(host).range() === "loopback";
}

function effective(section: Section, global: Section, name: string): string | undefined {
  return section.options.get(name)?.value ?? global.options.get(name)?.value;
}

/**
 * Lints stunnel.conf text and returns every issue found. It reports a file without
 * services, a numeric `verify` level anywhere, a service without accept or connect, an
 * accept without an address (a bare port listens on every address), and a service
 * without `verifyChain = yes`. For client services it also reports a missing checkIP or
 * checkHost and a plaintext accept that is not on loopback. An empty list means none of these were found; it does not prove that stunnel
 * accepts the file.
 */
export function lintStunnelConf(text: string): ValidationIssue[] {
  const { global, services, issues } = parse(text);
  const at = (section: Section, option: string) => `[${section.name}].${option}`;

  if (services.length === 0) {
    issues.push({
      field: "services",
      value: 0,
      message: "stunnel.conf defines no service: render it from a plan with at least one service",
    });
  }
  for (const section of [global, ...services]) {
    const verify = section.options.get("verify");
    if (verify !== undefined) {
      issues.push({
        field: at(section, "verify"),
        value: verify.value,
        message: `${at(section, "verify")} = ${verify.value} on line ${verify.line} is a numeric verify level, which is obsolete and pins or skips checks: use verifyChain = yes with checkIP`,
      });
    }
  }

  for (const section of services) {
    const accept = section.options.get("accept");
    const connect = section.options.get("connect");
    const client = effective(section, global, "client")?.toLowerCase() === "yes";

    if (!accept || !connect) {
      issues.push({
        field: at(section, accept ? "connect" : "accept"),
        value: undefined,
        message: `[${section.name}] on line ${section.line} has no ${accept ? "connect" : "accept"}: give both accept and connect`,
      });
    }
    if (effective(section, global, "verifychain")?.toLowerCase() !== "yes") {
      issues.push({
        field: at(section, "verifyChain"),
        value: effective(section, global, "verifychain"),
        message: `[${section.name}] on line ${section.line} does not verify the peer chain: set verifyChain = yes`,
      });
    }
    if (accept) {
      const { host } = splitEndpoint(accept.value);
      if (host === undefined || host === "") {
        issues.push({
          field: at(section, "accept"),
          value: accept.value,
          message: `${at(section, "accept")} = ${accept.value} on line ${accept.line} has no address and listens on every address: write address:port`,
        });
      } else if (client && !isLoopback(host)) {
        issues.push({
          field: at(section, "accept"),
          value: accept.value,
          message: `${at(section, "accept")} = ${accept.value} on line ${accept.line} is a plaintext client listener on a non-loopback address: accept on 127.0.0.1 or ::1`,
        });
      }
    }
    if (client && !section.options.has("checkip") && !section.options.has("checkhost")) {
      issues.push({
        field: at(section, "checkIP"),
        value: undefined,
        message: `[${section.name}] on line ${section.line} is a client service without checkIP or checkHost, so any certificate of the CA passes as this peer: set checkIP = <peer address>`,
      });
    }
  }
  return issues;
}
