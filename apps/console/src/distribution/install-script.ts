// Renders install.sh (beside this file) for one control plane: the script downloads the
// agent from, and joins the node to, the server URL written into it.
import { readFileSync } from "node:fs";
import { parseServerOrigin } from "./server-origin";

const SERVER_PLACEHOLDER = "@@SERVER_URL@@";

const template = readFileSync(new URL("./install.sh", import.meta.url), "utf8");

/** Returns the install script with the gateway origin filled in. */
export function renderInstallScript(serverUrl: string): string {
  const { origin } = parseServerOrigin(serverUrl);
  return template.replace(SERVER_PLACEHOLDER, origin);
}
