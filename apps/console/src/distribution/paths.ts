// URL paths of the agent distribution routes, served on the gateway's HTTPS port.

/** The bundled agent, one ES module (installed as tunnelfleet-agent.mjs). */
export const AGENT_ARTEFACT_PATH = "/v1/agent/tunnelfleet-agent.js";
/** JSON {version, sha256, size} of the artefact. */
export const AGENT_MANIFEST_PATH = "/v1/agent/manifest.json";
/**
 * The gateway CA as plain PEM. It carries the same certificate as GET /v1/ca, in a form
 * a POSIX shell can check without a JSON parser.
 */
export const AGENT_CA_PEM_PATH = "/v1/agent/ca.pem";
/** The install script, rendered with the server URL. */
export const INSTALL_SCRIPT_PATH = "/v1/install.sh";
