// Network namespaces for the install system test: a control-plane host and a node host on
// a bridge that lives in a namespace of its own. Addresses are assigned only inside these
// namespaces; `destroy` deletes all of them.
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";

export interface LabHost {
  namespace: string;
  address: string;
}

function ip(args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

export class InstallLab {
  readonly prefix = `tf-ds-${randomBytes(3).toString("hex")}`;
  private readonly namespaces: string[] = [];
  private readonly bridge = `${this.prefix}-br`;

  /** Creates the bridge namespace and its bridge. */
  create(): void {
    this.addNamespace(this.bridge);
    ip(["-n", this.bridge, "link", "add", "br0", "type", "bridge"]);
    ip(["-n", this.bridge, "link", "set", "br0", "up"]);
  }

  /** Adds a host namespace with `address`/24 on eth0, plugged into the bridge, and lo up. */
  addHost(label: string, address: string): LabHost {
    const namespace = `${this.prefix}-${label}`;
    this.addNamespace(namespace);
    const port = `v-${label}`;
    ip(["-n", this.bridge, "link", "add", port, "type", "veth", "peer", "name", "eth0", "netns", namespace]);
    ip(["-n", this.bridge, "link", "set", port, "master", "br0", "up"]);
    ip(["-n", namespace, "addr", "add", `${address}/24`, "dev", "eth0"]);
    ip(["-n", namespace, "link", "set", "eth0", "up"]);
    ip(["-n", namespace, "link", "set", "lo", "up"]);
    return { namespace, address };
  }

  /** Deletes every namespace this lab created; the caller stops its processes first. */
  destroy(): void {
    for (const namespace of this.namespaces.reverse()) {
      try {
        ip(["netns", "delete", namespace]);
      } catch {
        // Already gone: nothing left to remove.
      }
    }
  }

  private addNamespace(name: string): void {
    ip(["netns", "add", name]);
    this.namespaces.push(name);
  }
}
