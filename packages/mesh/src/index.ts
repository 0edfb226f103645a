// Public API of the mesh domain: presets, validation, allocation, planning, rendering,
// lint and bundle hash. Pure functions, no I/O.

export { allocateLocalPorts, OUTBOUND_PORT_RANGE, outboundAllocationKey, type PortRange } from "./allocate";
export { MeshValidationError } from "./errors";
export {
  type AddressCheck,
  type AddressFamily,
  addressFamily,
  MAX_HOST_NAME_LENGTH,
  validateAddress,
  validateHostName,
  validateId,
  validateName,
  validatePort,
} from "./fields";
export { type BundleParts, bundleHash, canonicalJson, RENDER_FORMAT_VERSION } from "./hash";
export { lintStunnelConf } from "./lint";
export type * from "./model";
export { inboundServiceName, loopbackFor, outboundServiceName, planHost } from "./plan";
export { defaultInboundPortBase, defaultTlsPolicy, PRESET_PORTS } from "./presets";
export {
  FILTER_INPUT_CHAIN,
  FILTER_OUTPUT_CHAIN,
  type IptablesJump,
  iptablesJumpRules,
  NAT_OUTPUT_CHAIN,
  RULE_COMMENT_PREFIX,
  renderIptablesRemoval,
  renderIptablesRestore,
} from "./render-iptables";
export {
  renderStunnelConf,
  STUNNEL_CONNECT_TIMEOUT_SECONDS,
  type StunnelRenderOptions,
} from "./render-stunnel";
export {
  assertValidTopology,
  inboundPorts,
  MAX_APP_PORTS,
  MAX_LEAF_LIFETIME_DAYS,
  validateClusterSpec,
  validateTopology,
} from "./validate";
