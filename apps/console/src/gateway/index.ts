export { normalizeSerial } from "./auth";
export { createPgChangeFeed } from "./change-feed";
export { startGateway } from "./gateway";
export type * from "./types";
