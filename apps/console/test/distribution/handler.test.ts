// The distribution routes through a real HTTP server on 127.0.0.1.
import { createHash } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentArtefact } from "../../src/distribution/artefact";
import { createDistributionHandler } from "../../src/distribution/handler";

const bytes = Buffer.from("#!/usr/bin/env node\nconsole.log('agent');\n");
const artefact: AgentArtefact = {
  bytes,
  manifest: {
    version: "1.2.3",
    sha256: createHash("sha256").update(bytes).digest("hex"),
    size: bytes.length,
  },
};
const CA_PEM = "-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n";

let server: Server;
let base: string;

beforeAll(async () => {
  const handle = createDistributionHandler({
    artefact,
    serverUrl: "https://gateway.example:8443",
    caPem: CA_PEM,
  });
  server = createServer((request, response) => {
    if (handle(request, response)) return;
    response.writeHead(404).end("not handled");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

describe("distribution handler", () => {
  it("serves the artefact bytes", async () => {
    const response = await fetch(`${base}/v1/agent/tunnelfleet-agent.js`);
    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer()).equals(bytes)).toBe(true);
    expect(response.headers.get("content-length")).toBe(String(bytes.length));
  });

  it("serves the manifest of those bytes", async () => {
    const response = await fetch(`${base}/v1/agent/manifest.json`);
    expect(response.headers.get("content-type")).toBe("application/json");
    expect(await response.json()).toEqual(artefact.manifest);
  });

  it("serves the CA as PEM", async () => {
    const response = await fetch(`${base}/v1/agent/ca.pem`);
    expect(await response.text()).toBe(CA_PEM);
  });

  it("serves the rendered install script", async () => {
    const response = await fetch(`${base}/v1/install.sh?ignored=1`);
    const text = await response.text();
    expect(text).toContain("SERVER='https://gateway.example:8443'");
  });

  it("answers HEAD without a body", async () => {
    const response = await fetch(`${base}/v1/agent/tunnelfleet-agent.js`, { method: "HEAD" });
    expect(response.status).toBe(200);
    expect(await response.text()).toBe("");
  });

  it("rejects other methods", async () => {
    const response = await fetch(`${base}/v1/install.sh`, { method: "POST" });
    expect(response.status).toBe(405);
    expect(response.headers.get("allow")).toBe("GET, HEAD");
  });

  it("leaves other paths to the gateway", async () => {
    const response = await fetch(`${base}/v1/enrol`);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("not handled");
  });
});
