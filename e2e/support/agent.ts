// A simulated agent for the browser tests. It enrols through the real gateway with a join
// command copied from the console: GET /v1/ca pinned by --ca-hash, then POST /v1/enrol with
// a CSR. Then it runs the gateway tests' SimAgent over mutual TLS and sends heartbeats.
import { request } from "node:https";
import { createCsr, exportPrivateKeyPem, generateKeyPair, spkiHash } from "@tunnelfleet/pki";
import {
  ENROL_PATH,
  type EnrolResponse,
  encodeMessage,
  GATEWAY_CA_PATH,
  type Health,
} from "@tunnelfleet/protocol";
import { SimAgent } from "../../apps/console/test/gateway/sim-agent";

/** The parts of a join command the agent needs. */
export interface JoinCommand {
  server: string;
  token: string;
  caHash: string;
}

/** Reads --server, --token and --ca-hash from the one-line join command. */
export function parseJoinCommand(command: string): JoinCommand {
  const option = (name: string) => {
    const match = new RegExp(`--${name}[ =](\\S+)`).exec(command);
    if (!match) throw new Error(`join command has no --${name}: ${command}`);
    return match[1]!.replace(/^['"]|['"]$/g, "");
  };
  return { server: option("server"), token: option("token"), caHash: option("ca-hash") };
}

function httpsJson(
  url: URL,
  options: { method: "GET" | "POST"; body?: unknown; ca?: string },
): Promise<{ status: number; body: unknown }> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method,
        // Before the CA is pinned, the first GET cannot verify the server. The SPKI hash
        // check below is what makes the response trustworthy, as in `kubeadm join`.
        ...(options.ca ? { ca: options.ca } : { rejectUnauthorized: false }),
        headers: payload
          ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
          : {},
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch {
            resolve({ status: res.statusCode ?? 0, body: text });
          }
        });
      },
    );
    req.on("error", reject);
    if (payload) req.write(payload);
    req.end();
  });
}

export interface JoinedAgent {
  hostId: string;
  hostName: string;
  agent: SimAgent;
  sendHealth(health: Health): void;
  stop(): Promise<void>;
}

/** Enrols a new host with the command's token and opens its agent session. */
export async function joinWithCommand(command: string, hostName: string): Promise<JoinedAgent> {
  const join = parseJoinCommand(command);
  const base = new URL(join.server);

  const caResponse = await httpsJson(new URL(GATEWAY_CA_PATH, base), { method: "GET" });
  const caPem = (caResponse.body as { caPem?: string }).caPem;
  if (caResponse.status !== 200 || !caPem) {
    throw new Error(
      `GET ${GATEWAY_CA_PATH} returned ${caResponse.status}: ${JSON.stringify(caResponse.body)}`,
    );
  }
  if (spkiHash(caPem) !== join.caHash) {
    throw new Error(`gateway CA hash ${spkiHash(caPem)} does not match --ca-hash ${join.caHash}`);
  }

  const identity = await generateKeyPair("ecdsa-p256");
  const agentCsrPem = await createCsr({ commonName: hostName, keyPair: identity });
  const enrol = await httpsJson(new URL(ENROL_PATH, base), {
    method: "POST",
    ca: caPem,
    body: { token: join.token, hostName, agentCsrPem },
  });
  if (enrol.status !== 200)
    throw new Error(`POST ${ENROL_PATH} returned ${enrol.status}: ${JSON.stringify(enrol.body)}`);
  const enrolled = enrol.body as EnrolResponse;

  const tunnelKey = await generateKeyPair("ecdsa-p256");
  const agent = new SimAgent({
    url: `wss://${base.host}`,
    caPem: enrolled.gatewayCaPem,
    certPem: enrolled.agentCertPem,
    keyPem: await exportPrivateKeyPem(identity.privateKey),
    createCsr: () => createCsr({ commonName: enrolled.hostName, keyPair: tunnelKey }),
  });
  await agent.connect();
  if (!agent.open) {
    throw new Error(
      `agent session was rejected: status ${agent.rejectedStatus}, close ${agent.closeCode} ${agent.closeReason}`,
    );
  }

  return {
    hostId: enrolled.hostId,
    hostName: enrolled.hostName,
    agent,
    sendHealth: (health) => agent.sendRaw(encodeMessage({ type: "heartbeat", health })),
    stop: () => agent.close(),
  };
}
