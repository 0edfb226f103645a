// Joins a control plane the way kubeadm does: fetch the gateway CA, compare its SPKI hash
// with the one the operator copied from the console, and only then send anything. The
// agent key is generated here and never leaves the node; the gateway signs its CSR.
import { request } from "node:https";
import { createCsr, exportPrivateKeyPem, generateKeyPair, spkiHash } from "@tunnelfleet/pki";
import {
  ENROL_PATH,
  type EnrolRequest,
  enrolResponseSchema,
  errorResponseSchema,
  GATEWAY_CA_PATH,
  gatewayCaResponseSchema,
} from "@tunnelfleet/protocol";
import type { AgentIdentity } from "./identity";

export interface JoinOptions {
  server: string;
  token: string;
  caHash: string;
  hostName?: string;
  timeoutMs?: number;
}

export class JoinError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "JoinError";
  }
}

const CA_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;

/** Checks the options before any network traffic; throws JoinError naming the bad value. */
export function validateJoinOptions(options: JoinOptions): URL {
  let url: URL;
  try {
    url = new URL(options.server);
  } catch {
    throw new JoinError(`--server "${options.server}" is not a URL; give the gateway as https://host:port`);
  }
  if (url.protocol !== "https:") {
    throw new JoinError(`--server "${options.server}" must use https://; the agent only joins over TLS`);
  }
  if (!CA_HASH_PATTERN.test(options.caHash)) {
    throw new JoinError(
      `--ca-hash "${options.caHash}" is not a CA pin; copy the value "sha256:<64 hex digits>" shown with the join command`,
    );
  }
  if (options.token.length < 16) {
    throw new JoinError("--token is too short to be a join token; copy the whole token from the console");
  }
  return url;
}

/** Enrols this node and returns its identity; the caller stores it. */
export async function join(options: JoinOptions): Promise<AgentIdentity> {
  const url = validateJoinOptions(options);
  const timeoutMs = options.timeoutMs ?? 15_000;

  // The CA is not trusted yet. This GET sends nothing but the path, and its response is
  // used only after the pin matches.
  const caResponse = await httpsJson(new URL(GATEWAY_CA_PATH, url), {
    method: "GET",
    insecure: true,
    timeoutMs,
  });
  const caBody = gatewayCaResponseSchema.safeParse(caResponse.body);
  if (caResponse.status !== 200 || !caBody.success) {
    throw new JoinError(
      `GET ${GATEWAY_CA_PATH} on ${url.origin} returned ${caResponse.status} without a CA certificate; is --server the Tunnelfleet gateway?`,
    );
  }
  const actualHash = spkiHash(caBody.data.caPem);
  if (actualHash !== options.caHash) {
    throw new JoinError(
      `the gateway's CA key hash is ${actualHash}, not the --ca-hash ${options.caHash}: refusing to join; check the server address and copy the hash again from the console`,
    );
  }
  const caPem = caBody.data.caPem;

  const keyPair = await generateKeyPair("ecdsa-p256");
  const keyPem = await exportPrivateKeyPem(keyPair.privateKey);
  const csrPem = await createCsr({ commonName: options.hostName ?? "tunnelfleet-agent", keyPair });
  const body: EnrolRequest = {
    token: options.token,
    agentCsrPem: csrPem,
    ...(options.hostName ? { hostName: options.hostName } : {}),
  };

  const enrolResponse = await httpsJson(new URL(ENROL_PATH, url), { method: "POST", caPem, body, timeoutMs });
  if (enrolResponse.status !== 200) {
    const error = errorResponseSchema.safeParse(enrolResponse.body);
    const reason = error.success ? error.data.error : `HTTP ${enrolResponse.status}`;
    throw new JoinError(`enrolment was rejected: ${reason}`);
  }
  const enrolled = enrolResponseSchema.safeParse(enrolResponse.body);
  if (!enrolled.success) {
    throw new JoinError(`the enrolment response is invalid: ${enrolled.error.issues[0]?.message}`);
  }
  if (spkiHash(enrolled.data.gatewayCaPem) !== options.caHash) {
    throw new JoinError(
      "the enrolment response names a different gateway CA than the pinned one: refusing to store it",
    );
  }

  return {
    server: url.origin,
    hostId: enrolled.data.hostId,
    hostName: enrolled.data.hostName,
    caHash: options.caHash,
    enrolledAt: new Date().toISOString(),
    keyPem,
    certPem: enrolled.data.agentCertPem,
    gatewayCaPem: enrolled.data.gatewayCaPem,
  };
}

interface HttpsJsonOptions {
  method: "GET" | "POST";
  /** Accept any server certificate; only for fetching the CA before it is pinned. */
  insecure?: boolean;
  caPem?: string;
  body?: unknown;
  timeoutMs: number;
}

function httpsJson(url: URL, options: HttpsJsonOptions): Promise<{ status: number; body: unknown }> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: options.method,
        timeout: options.timeoutMs,
        rejectUnauthorized: !options.insecure,
        ...(options.caPem ? { ca: options.caPem } : {}),
        headers: payload
          ? { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }
          : {},
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size > 1024 * 1024) req.destroy(new JoinError(`${url.pathname} returned more than 1 MiB`));
          else chunks.push(chunk);
        });
        response.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          resolve({ status: response.statusCode ?? 0, body });
        });
      },
    );
    req.on("timeout", () =>
      req.destroy(new JoinError(`${options.method} ${url.href} timed out after ${options.timeoutMs} ms`)),
    );
    req.on("error", (error) =>
      reject(
        error instanceof JoinError
          ? error
          : new JoinError(`${options.method} ${url.href} failed: ${error.message}`),
      ),
    );
    req.end(payload);
  });
}
