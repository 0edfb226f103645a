// Probes a peer's inbound TLS port with the host's own tunnel certificate, checking the
// peer's certificate the way stunnel's `verifyChain = yes` plus `checkIP` does: chain to a
// trusted CA and an IP SAN equal to the address connected to.
import { connect } from "node:tls";
import type { PeerLink } from "@tunnelfleet/mesh";

export interface ProbeResult {
  clusterId: string;
  peerHostId: string;
  address: string;
  port: number;
  ok: boolean;
  error?: string;
  latencyMs?: number;
}

/** The host's tunnel credentials, as PEM text and as the files of the current generation. */
export interface TlsCredentials {
  certPem: string;
  keyPem: string;
  caPem: string;
  certPath: string;
  keyPath: string;
  caPath: string;
}

export interface PeerProber {
  probe(link: PeerLink, credentials: TlsCredentials): Promise<ProbeResult>;
}

export class NodeTlsProber implements PeerProber {
  constructor(private readonly timeoutMs = 3000) {}

  probe(link: PeerLink, credentials: TlsCredentials): Promise<ProbeResult> {
    const started = Date.now();
    const base = {
      clusterId: link.clusterId,
      peerHostId: link.peerHostId,
      address: link.address,
      port: link.port,
    };

    return new Promise((resolve) => {
      let settled = false;
      const done = (error?: string) => {
        if (settled) return;
        settled = true;
        socket.destroy();
        resolve(
          error ? { ...base, ok: false, error } : { ...base, ok: true, latencyMs: Date.now() - started },
        );
      };

      const socket = connect({
        host: link.address,
        port: link.port,
        cert: credentials.certPem,
        key: credentials.keyPem,
        ca: credentials.caPem,
        minVersion: "TLSv1.2",
        // An IP SAN must equal the address, like stunnel's checkIP; host names are not accepted.
        checkServerIdentity: (_host, certificate) => {
          const sans = (certificate.subjectaltname ?? "").split(",").map((name) => name.trim());
          if (sans.includes(`IP Address:${link.address}`)) return undefined;
          return new Error(
            `peer certificate has no IP SAN ${link.address} (SANs: ${sans.join(", ") || "none"})`,
          );
        },
      });
      socket.setTimeout(this.timeoutMs, () => done(`timed out after ${this.timeoutMs} ms`));
      socket.once("secureConnect", () => done());
      socket.once("error", (error) => done(error.message));
    });
  }
}
