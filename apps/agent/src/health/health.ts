// Collects the data-plane health a heartbeat carries: stunnel alive, each accept address
// listening, our rules present and unchanged, the served leaf, and a TLS probe per peer link.
import { join } from "node:path";
import type { HostPlan } from "@tunnelfleet/mesh";
import { certificateInfo } from "@tunnelfleet/pki";
import type { Health } from "@tunnelfleet/protocol";
import type { Applier } from "../apply/applier";
import type { BundleRenderer } from "../apply/renderer";
import type { HostExecutor } from "../executor/executor";
import type { Netfilter } from "../netfilter/netfilter";
import { type AgentPaths, GENERATION_FILES } from "../paths";
import { parseAcceptAddresses } from "../stunnel/config";
import { missingListeners, type StunnelController } from "../stunnel/controller";
import type { PeerProber } from "./tls-probe";

export interface HealthOptions {
  executor: HostExecutor;
  paths: AgentPaths;
  applier: Applier;
  stunnel: StunnelController;
  netfilter: () => Promise<Netfilter>;
  renderer: BundleRenderer;
  prober?: PeerProber;
}

export async function collectHealth(options: HealthOptions): Promise<Health> {
  const { executor, paths, applier, stunnel } = options;
  const live = await applier.liveGeneration();
  const pid = await stunnel.readPid();

  const accepts = live ? parseAcceptAddresses(live.conf) : [];
  const sockets = accepts.length > 0 ? await executor.listListeningSockets() : [];
  const missing = missingListeners(accepts, sockets);
  const listenersUp = accepts.map((accept) => ({
    address: accept.address,
    port: accept.port,
    up: pid !== undefined && !missing.includes(accept),
  }));

  let rulesPresent = false;
  const state = await applier.appliedState();
  if (live && state) {
    const netfilter = await options.netfilter();
    const findings = await netfilter.findDrift(live.rules, state.baseline, options.renderer.jumpRules());
    rulesPresent = findings.length === 0;
  }

  const certPem = live ? await executor.readFile(join(paths.currentLink, GENERATION_FILES.cert)) : undefined;
  let servedCertificate: Health["servedCertificate"] = null;
  if (certPem?.includes("BEGIN CERTIFICATE")) {
    const info = certificateInfo(certPem);
    servedCertificate = { serial: info.serial, notAfter: info.notAfter.toISOString() };
  }

  const probes = [];
  const plan = await readLivePlan(executor, paths);
  const keyPem = live ? await executor.readFile(join(paths.currentLink, GENERATION_FILES.key)) : undefined;
  const caPem = live ? await executor.readFile(join(paths.currentLink, GENERATION_FILES.caFile)) : undefined;
  if (options.prober && plan && certPem && keyPem && caPem) {
    for (const link of plan.links) {
      probes.push(
        await options.prober.probe(link, {
          certPem,
          keyPem,
          caPem,
          certPath: join(paths.currentLink, GENERATION_FILES.cert),
          keyPath: join(paths.currentLink, GENERATION_FILES.key),
          caPath: join(paths.currentLink, GENERATION_FILES.caFile),
        }),
      );
    }
  }

  return { stunnelAlive: pid !== undefined, listenersUp, rulesPresent, servedCertificate, probes };
}

async function readLivePlan(executor: HostExecutor, paths: AgentPaths): Promise<HostPlan | undefined> {
  const text = await executor.readFile(join(paths.currentLink, GENERATION_FILES.bundle));
  if (!text) return undefined;
  return (JSON.parse(text) as { plan: HostPlan }).plan;
}
