// Renders the one-line join command the console shows for a join token.
//
// The line must establish trust from nothing but the CA hash it carries, so it runs in
// two stages. Stage one is the line itself, printed in full and never downloaded. It
// reads the gateway CA over TLS without verifying it (openssl s_client) and checks the
// CA's SPKI SHA-256 against the pinned hash. When they differ it stops before any other
// download. Only then does it fetch the install script with `curl --cacert` on the pinned
// CA and run it. The script downloads the agent the same way and checks its SHA-256
// against the manifest. Arguments appended to the line (e.g. --install-deps) reach the
// script.
import { AGENT_CA_PEM_PATH, INSTALL_SCRIPT_PATH } from "./paths";
import { DistributionInputError, parseServerOrigin } from "./server-origin";

export interface JoinCommandInput {
  /** Gateway URL, https://host:port. */
  serverUrl: string;
  /** Join token secret. */
  token: string;
  /** SPKI hash of the gateway CA, sha256:<64 hex digits>. */
  caHash: string;
  /** Host name to register when the token does not fix one. */
  hostName?: string;
}

const TOKEN_PATTERN = /^[A-Za-z0-9._~-]{16,256}$/;
const CA_HASH_PATTERN = /^sha256:[0-9a-f]{64}$/;
const HOST_NAME_PATTERN = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/;

/**
 * Renders `sh -c '…' tunnelfleet-install`, the command an operator pastes as root on a
 * new node. Every value is checked against a grammar without quotes or shell
 * metacharacters first; throws DistributionInputError naming the bad one.
 */
export function renderJoinCommand(input: JoinCommandInput): string {
  const server = parseServerOrigin(input.serverUrl);
  if (!TOKEN_PATTERN.test(input.token)) {
    throw new DistributionInputError(
      "token is not a join token (16 to 256 characters of A-Z, a-z, 0-9, '.', '_', '~', '-'); create a new one",
    );
  }
  if (!CA_HASH_PATTERN.test(input.caHash)) {
    throw new DistributionInputError(`caHash "${input.caHash}" is not sha256:<64 lowercase hex digits>`);
  }
  if (input.hostName !== undefined && !HOST_NAME_PATTERN.test(input.hostName)) {
    throw new DistributionInputError(`hostName "${input.hostName}" is not a DNS host name`);
  }

  const nameOption = input.hostName === undefined ? "" : ` --name ${input.hostName}`;
  const steps = [
    "set -eu",
    `s="${server.connect}"`,
    `p="${input.caHash}"`,
    "t=$(mktemp -d)",
    'trap "rm -rf \\"\\$t\\"" EXIT',
    `printf "GET ${AGENT_CA_PEM_PATH} HTTP/1.0\\r\\nHost: %s\\r\\n\\r\\n" "$s" | openssl s_client -quiet -connect "$s" 2>/dev/null | openssl x509 -out "$t/ca.pem" 2>/dev/null || { echo "tunnelfleet: no CA certificate from $s; check the address and that this node reaches it" >&2; exit 1; }`,
    'h=sha256:$(openssl x509 -in "$t/ca.pem" -noout -pubkey | openssl pkey -pubin -outform DER | sha256sum | cut -c1-64)',
    '[ "$h" = "$p" ] || { echo "tunnelfleet: the CA of $s has key hash $h, not the pinned $p; stopped before downloading anything" >&2; exit 1; }',
    `curl -fsSg --proto =https --tlsv1.2 --cacert "$t/ca.pem" -o "$t/install.sh" "${server.origin}${INSTALL_SCRIPT_PATH}"`,
    `sh "$t/install.sh" --ca-file "$t/ca.pem" --ca-hash "$p" --token ${input.token}${nameOption} "$@"`,
  ];
  return `sh -c '${steps.join("; ")}' tunnelfleet-install`;
}
