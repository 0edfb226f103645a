// A peer probe through `openssl s_client`, run by the executor. Unlike NodeTlsProber it
// works in whatever network namespace the executor runs commands in, as in the system
// tests. `-verify_ip` does what stunnel's checkIP does.
import type { PeerLink } from "@tunnelfleet/mesh";
import type { HostExecutor } from "../executor/executor";
import type { PeerProber, ProbeResult, TlsCredentials } from "./tls-probe";

export class OpensslProber implements PeerProber {
  constructor(
    private readonly executor: HostExecutor,
    private readonly timeoutMs = 5000,
  ) {}

  async probe(link: PeerLink, credentials: TlsCredentials): Promise<ProbeResult> {
    const base = {
      clusterId: link.clusterId,
      peerHostId: link.peerHostId,
      address: link.address,
      port: link.port,
    };
    const started = Date.now();
    const result = await this.executor.run(
      "openssl",
      [
        "s_client",
        "-connect",
        link.address.includes(":") ? `[${link.address}]:${link.port}` : `${link.address}:${link.port}`,
        "-cert",
        credentials.certPath,
        "-key",
        credentials.keyPath,
        "-CAfile",
        credentials.caPath,
        "-verify_ip",
        link.address,
        "-verify_return_error",
        "-brief",
      ],
      { input: "", timeoutMs: this.timeoutMs },
    );
    if (result.code === 0) return { ...base, ok: true, latencyMs: Date.now() - started };

    const reason =
      result.stderr
        .split("\n")
        .map((line) => line.trim())
        .find((line) => /error|fail|refused|mismatch/i.test(line)) ??
      `openssl s_client exited ${result.code}`;
    return { ...base, ok: false, error: reason.slice(0, 1000) };
  }
}
