// Agent distribution: the bundled agent, its manifest, the install script and the
// one-line join command that ties them to a pinned gateway CA.
export { type AgentArtefact, type AgentManifest, DEFAULT_ARTEFACT_PATH, loadAgentArtefact } from "./artefact";
export { createDistributionHandler, type DistributionHandler, type DistributionOptions } from "./handler";
export { renderInstallScript } from "./install-script";
export { type JoinCommandInput, renderJoinCommand } from "./join-command";
export { AGENT_ARTEFACT_PATH, AGENT_CA_PEM_PATH, AGENT_MANIFEST_PATH, INSTALL_SCRIPT_PATH } from "./paths";
export { DistributionInputError, parseServerOrigin, type ServerOrigin } from "./server-origin";
