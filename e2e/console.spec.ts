// Browser tests of the operator console against the real server, real PostgreSQL and the
// real agent gateway. The steps build on each other (setup, cluster, joins, rotation), so
// they run in order on one signed-in page; a second context plays the viewer.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { type BrowserContext, expect, type Page, test } from "@playwright/test";
import type { Health } from "@tunnelfleet/protocol";
import { type JoinedAgent, joinWithCommand } from "./support/agent";
import { ConsoleErrors } from "./support/console-errors";

test.describe.configure({ mode: "serial" });

const SCREENSHOTS = join(import.meta.dirname, "..", "screenshots");
mkdirSync(SCREENSHOTS, { recursive: true });

const ADMIN = { username: "admin", password: "correct horse battery staple" };
const VIEWER = { username: "viewer1", password: "viewer password 123" };
const CLUSTER = "redis-e2e";
// Member addresses from TEST-NET-1 (RFC 5737): the API rejects loopback members, and the
// simulated agents only store their bundles, so nothing is ever sent to these addresses.
const ADDRESS_A = "192.0.2.11";
const ADDRESS_B = "192.0.2.12";
/** The gateway stores one heartbeat per host per 15 s; allow several intervals. */
const HEARTBEAT_TIMEOUT_MS = 90_000;

let context: BrowserContext;
let page: Page;
let errors: ConsoleErrors;
let clusterUrl = "";
const agents: JoinedAgent[] = [];

async function shot(name: string, target: Page = page): Promise<void> {
  await target.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

function health(peers: { hostId: string; address: string; ok: boolean }[], clusterId: string): Health {
  return {
    stunnelAlive: true,
    listenersUp: [{ address: "127.0.0.1", port: 19200, up: true }],
    rulesPresent: true,
    servedCertificate: null,
    probes: peers.map((peer) => ({
      clusterId,
      peerHostId: peer.hostId,
      address: peer.address,
      port: 19200,
      ok: peer.ok,
      ...(peer.ok ? { latencyMs: 2 } : { error: "connection reset by peer" }),
    })),
  };
}

test.beforeAll(async ({ browser }) => {
  context = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  page = await context.newPage();
  errors = new ConsoleErrors(page);
});

test.afterEach(() => {
  expect(errors.take(), "browser console errors").toEqual([]);
});

test.afterAll(async () => {
  for (const agent of agents) await agent.stop();
  await context?.close();
});

test("first-run setup creates the admin", async () => {
  await page.goto("/");
  await expect(page).toHaveURL(/\/setup$/);
  await expect(page.getByRole("heading", { name: "First-run setup" })).toBeVisible();
  await page.getByLabel("User name").fill(ADMIN.username);
  await expect(page.getByText("At least 12 characters.")).toBeVisible();

  // A too-short password is reported once, under its field, and clears on the next edit.
  await page.getByLabel("Password", { exact: true }).fill("short");
  await page.getByLabel("Repeat password").fill("short");
  errors.expect(/Failed to load resource.*400/);
  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page.locator(".field-error")).toHaveCount(1);
  await expect(page.locator(".field-error")).toContainText("too short");
  await expect(page.locator(".error-box")).toHaveCount(0);
  await shot("setup-error");
  await page.getByLabel("Password", { exact: true }).fill(ADMIN.password);
  await expect(page.getByText("too short")).toHaveCount(0);

  await page.getByLabel("Repeat password").fill(`${ADMIN.password}x`);
  await expect(page.getByText("The two passwords differ.")).toBeVisible();
  await page.getByLabel("Repeat password").fill(ADMIN.password);
  await shot("setup");

  await page.getByRole("button", { name: "Create administrator" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(page.getByTestId("signed-in-as")).toContainText("admin");
  await expect(page.getByText("No clusters yet.")).toBeVisible();
  await shot("overview-empty");
});

test("log out and log in again", async () => {
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page).toHaveURL(/\/login/);
  await expect(page.getByRole("heading", { name: "Log in" })).toBeVisible();
  await shot("login");

  await page.getByLabel("User name").fill(ADMIN.username);
  await page.getByLabel("Password").fill(`${ADMIN.password}x`);
  errors.expect(/Failed to load resource.*401/);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.locator(".error-box")).toHaveText(
    "Wrong user name or password, or the account is disabled.",
  );
  await shot("login-error");

  await page.getByLabel("Password").fill(ADMIN.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
});

test("create a cluster from a preset", async () => {
  await page.getByRole("link", { name: "Clusters" }).click();
  await expect(page.getByText("No clusters yet.")).toBeVisible();
  await shot("clusters-empty");
  await page.getByRole("link", { name: "New cluster" }).click();

  await page.getByLabel("Preset").selectOption("redis");
  await expect(page.getByLabel("Protected ports")).toHaveValue("6379, 16379");
  await expect(page.getByLabel("Inbound TLS port base")).toHaveValue("19200");

  // The API's field error shows once, next to the field and under the form's label.
  await page.getByLabel("Name").fill("bad name!");
  errors.expect(/Failed to load resource.*400/);
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.locator(".field-error")).toHaveCount(1);
  await expect(page.locator(".field-error")).toContainText("Name");
  await expect(page.locator(".error-box")).toHaveCount(0);
  await shot("cluster-new-error");

  await page.getByLabel("Name").fill(CLUSTER);
  await page.getByLabel("Minimum TLS version").selectOption("TLSv1.3");
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.getByRole("heading", { name: CLUSTER })).toBeVisible();
  await expect(page.getByText("No members yet.").first()).toBeVisible();
  clusterUrl = page.url();
  await shot("cluster-empty");

  // Edit keeps the preset and changes the policy.
  await page.getByRole("link", { name: "Edit" }).click();
  await expect(page.getByRole("heading", { name: `Edit cluster ${CLUSTER}` })).toBeVisible();
  await expect(page.getByLabel("Preset")).toBeDisabled();
  await page.getByLabel("Leaf lifetime (days)").fill("45");
  await shot("cluster-edit");
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("ecdsa-p256, 45 days, TLSv1.3 or newer")).toBeVisible();

  await page.getByRole("link", { name: "Clusters" }).click();
  await expect(page.getByRole("link", { name: CLUSTER })).toBeVisible();
  await shot("clusters");
});

async function addHost(hostName: string, address: string): Promise<JoinedAgent> {
  await page.goto(clusterUrl);
  await page.getByRole("button", { name: "Add host" }).click();
  const wizard = page.getByRole("dialog", { name: "Add a host" });
  await wizard.getByLabel("Host name (optional)").fill(hostName);
  await wizard.getByLabel("Address in this cluster").fill(address);
  await wizard.getByRole("button", { name: "Create join token" }).click();

  await expect(wizard.getByTestId("join-command")).toBeVisible();
  const command = (await wizard.getByTestId("join-command").textContent()) ?? "";
  expect(command).toContain("--token");
  const installCommand = (await wizard.getByTestId("install-command").textContent()) ?? "";
  expect(installCommand).toContain("sha256sum");
  expect(installCommand).toContain("--cacert");
  await expect(wizard.getByTestId("join-expiry")).toContainText("The token expires at");
  if (agents.length === 0) await shot("add-host-wizard");

  const joined = await joinWithCommand(command, hostName);
  await expect(wizard.getByTestId("join-status")).toContainText(`${hostName} joined.`);
  await wizard.getByRole("button", { name: "Done" }).click();
  return joined;
}

test("two simulated agents join through the gateway", async () => {
  agents.push(await addHost("node-a", ADDRESS_A));
  agents.push(await addHost("node-b", ADDRESS_B));

  const members = page.getByTestId("members-table");
  await expect(members.getByRole("link", { name: "node-a" })).toBeVisible();
  await expect(members.getByRole("link", { name: "node-b" })).toBeVisible();

  // Each agent gets a bundle from the gateway and acks it.
  for (const joined of agents) {
    await joined.agent.waitFor(() => joined.agent.executor.applied.length > 0);
  }
});

test("topology colours links from live probes", async () => {
  const [a, b] = agents as [JoinedAgent, JoinedAgent];
  const clusterId = new URL(clusterUrl).pathname.split("/").pop()!;
  await page.goto(clusterUrl);

  const edge = page.getByTestId("edge-node-a-node-b");
  await expect(page.getByTestId("node-node-a")).toBeVisible();
  await expect(edge).toHaveAttribute("data-state", "unknown");

  // Agents send heartbeats periodically and the gateway stores at most one per host per
  // interval, so the test keeps sending (bounded by the timeout) until the page shows it.
  const okA = health([{ hostId: b.hostId, address: ADDRESS_B, ok: true }], clusterId);
  const okB = health([{ hostId: a.hostId, address: ADDRESS_A, ok: true }], clusterId);
  await expect(async () => {
    a.sendHealth(okA);
    b.sendHealth(okB);
    await expect(edge).toHaveAttribute("data-state", "ok", { timeout: 4_000 });
  }).toPass({ timeout: HEARTBEAT_TIMEOUT_MS });
  await shot("cluster-topology-ok");

  // The page polls: a failing probe turns the edge red without a reload.
  const failingB = health([{ hostId: a.hostId, address: ADDRESS_A, ok: false }], clusterId);
  await expect(async () => {
    b.sendHealth(failingB);
    await expect(edge).toHaveAttribute("data-state", "failing", { timeout: 4_000 });
  }).toPass({ timeout: HEARTBEAT_TIMEOUT_MS });
  await shot("cluster-topology-failing");
});

test("host page shows generations and rendered config", async () => {
  await page.getByRole("link", { name: "Hosts" }).click();
  const hosts = page.getByTestId("hosts-table");
  await expect(hosts.getByRole("row").filter({ hasText: "node-a" })).toContainText("online");
  await expect(hosts.getByRole("row").filter({ hasText: "node-b" })).toContainText(CLUSTER);
  await shot("hosts");

  await hosts.getByRole("link", { name: "node-a" }).click();
  await expect(page.getByRole("heading", { name: "node-a" })).toBeVisible();
  const state = page.getByTestId("host-state");
  await expect(state).toContainText("in sync");
  await expect(page.getByTestId("config-stunnel")).toContainText("[");
  await page.getByRole("tab", { name: "iptables rules" }).click();
  await expect(page.getByTestId("config-iptables")).toContainText("DNAT");
  await shot("host");
});

test("host page shows a failed apply and the config diff", async () => {
  const [a] = agents as [JoinedAgent];
  await page.goto(`/hosts/${a.hostId}`);
  await expect(page.getByTestId("host-state")).toContainText("in sync");
  // In sync, the page keeps the rendering of the applied generation for later diffs.
  await expect(page.getByText("The applied generation matches.")).toBeVisible();

  a.agent.executor.failNext = "stunnel exited with status 1: [!] simulated configuration error";
  await page.goto(`${clusterUrl}/edit`);
  await page.getByLabel("Strict mode").check();
  await page.getByRole("button", { name: "Save" }).click();
  await expect(page.getByText("Strict mode").first()).toBeVisible();

  await page.goto(`/hosts/${a.hostId}`);
  await expect(page.getByText("Last apply failed")).toBeVisible();
  await expect(page.getByText("simulated configuration error")).toBeVisible();
  await expect(page.getByTestId("host-state")).toContainText("behind");
  await page.getByRole("tab", { name: "iptables rules" }).click();
  await expect(page.getByTestId("config-diff").locator(".diff-added").first()).toBeVisible();
  await shot("host-apply-failed");
});

test("rotate the cluster CA with confirmation", async () => {
  await page.getByRole("link", { name: "Certificates" }).click();
  const authorities = page.getByTestId("authorities-table");
  const row = authorities.getByRole("row").filter({ hasText: CLUSTER });
  await expect(row).toHaveCount(1);
  await shot("certificates");

  await row.getByRole("button", { name: "Rotate" }).click();
  const dialog = page.getByRole("dialog", { name: `Rotate the CA of ${CLUSTER}?` });
  await expect(dialog).toBeVisible();
  await shot("certificates-rotate-dialog");
  await dialog.getByRole("button", { name: "Rotate" }).click();
  await expect(dialog).toBeHidden();
  await expect(authorities.getByRole("row").filter({ hasText: CLUSTER })).toHaveCount(2);
  await expect(authorities.getByRole("row").filter({ hasText: "retiring" })).toHaveCount(1);
});

test("revoke a leaf with confirmation", async () => {
  const leaves = page.getByTestId("leaves-table");
  const leaf = leaves
    .getByRole("row")
    .filter({ hasText: "node-b" })
    .filter({ hasText: "tunnel" })
    .filter({ hasText: "active" });
  const serial = (await leaf.first().locator("td").nth(3).textContent())?.trim() ?? "";
  expect(serial).toMatch(/^[0-9a-f]+$/);

  await leaf.first().getByRole("button", { name: "Revoke" }).click();
  const dialog = page.getByRole("dialog", { name: `Revoke certificate ${serial}?` });
  await dialog.getByLabel("Reason").selectOption("keyCompromise");
  await shot("certificates-revoke-dialog");
  await dialog.getByRole("button", { name: "Revoke" }).click();
  await expect(dialog).toBeHidden();
  await expect(leaves.getByRole("row").filter({ hasText: serial })).toContainText("revoked");
});

test("audit log shows each step", async () => {
  await page.getByRole("link", { name: "Audit log" }).click();
  const table = page.getByTestId("audit-table");
  const actions = [
    "user.setup",
    "auth.login",
    "cluster.create",
    "join_token.create",
    "host.enrol",
    "certificate.issue",
    "ca.rotate",
  ];
  for (const action of actions) {
    await expect(table.getByText(action, { exact: true }).first()).toBeVisible();
  }
  await shot("audit");

  await page.getByLabel("Action").fill("cluster.create");
  await page.getByRole("button", { name: "Apply filters" }).click();
  await expect(table.getByRole("row")).toHaveCount(2);
  await expect(table).toContainText("cluster.create");
});

test("admin creates a viewer and an API token", async () => {
  await page.getByRole("link", { name: "Users" }).click();
  await page.getByLabel("User name").fill(VIEWER.username);
  await page.getByLabel("Password").fill(VIEWER.password);
  await page.locator("select[name=new-role]").selectOption("viewer");
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.getByTestId("users-table")).toContainText(VIEWER.username);
  await shot("users");

  await page.getByRole("link", { name: "API tokens" }).click();
  await expect(page.getByText("No API tokens.")).toBeVisible();
  await page.getByLabel("Name").fill("ci-bot");
  await page.getByRole("button", { name: "Create" }).click();
  await expect(page.getByTestId("api-token-secret")).toBeVisible();
  await expect(page.getByTestId("api-tokens-table")).toContainText("ci-bot");
  await shot("api-tokens");
});

test("viewer sees no controls and the API rejects its changes", async ({ browser }) => {
  const viewerContext = await browser.newContext({ viewport: { width: 1280, height: 720 } });
  const viewer = await viewerContext.newPage();
  const viewerErrors = new ConsoleErrors(viewer);
  try {
    await viewer.goto("/login");
    await viewer.getByLabel("User name").fill(VIEWER.username);
    await viewer.getByLabel("Password").fill(VIEWER.password);
    await viewer.getByRole("button", { name: "Log in" }).click();
    await expect(viewer.getByRole("heading", { name: "Overview" })).toBeVisible();
    await expect(viewer.getByRole("link", { name: "Users" })).toHaveCount(0);

    await viewer.getByRole("link", { name: "Clusters" }).click();
    await expect(viewer.getByRole("link", { name: CLUSTER })).toBeVisible();
    await expect(viewer.getByRole("link", { name: "New cluster" })).toHaveCount(0);
    await viewer.getByRole("link", { name: CLUSTER }).click();
    await expect(viewer.getByTestId("node-node-a")).toBeVisible();
    await expect(viewer.getByRole("button", { name: "Add host" })).toHaveCount(0);
    await expect(viewer.getByRole("button", { name: "Delete" })).toHaveCount(0);
    await shot("cluster-viewer", viewer);

    await viewer.getByRole("link", { name: "Certificates" }).click();
    await expect(viewer.getByTestId("authorities-table")).toBeVisible();
    await expect(viewer.getByRole("button", { name: "Rotate" })).toHaveCount(0);
    await expect(viewer.getByRole("button", { name: "Revoke" })).toHaveCount(0);

    // The API rejects the change even when the viewer sends it by hand.
    viewerErrors.expect(/Failed to load resource.*403/);
    const status = await viewer.evaluate(async () => {
      const response = await fetch("/api/trpc/clusters.create?batch=1", {
        method: "POST",
        headers: { "content-type": "application/json", "x-tunnelfleet-csrf": "1" },
        body: JSON.stringify({ 0: { json: { name: "sneaky", preset: "redis" } } }),
      });
      return response.status;
    });
    expect(status).toBe(403);
    expect(viewerErrors.take(), "viewer console errors").toEqual([]);
  } finally {
    await viewerContext.close();
  }
});

test("zh-CN locale renders and persists", async () => {
  await page.getByRole("link", { name: "Overview" }).click();
  await page.getByTestId("locale-switcher").selectOption("zh-CN");
  await expect(page.getByRole("heading", { name: "概览" })).toBeVisible();
  await page.reload();
  await expect(page.getByRole("heading", { name: "概览" })).toBeVisible();
  await expect(page.locator("html")).toHaveAttribute("lang", "zh-CN");
  await shot("overview-zh-CN");

  await page.goto(clusterUrl);
  await expect(page.getByRole("heading", { name: "拓扑" })).toBeVisible();
  await shot("cluster-zh-CN");

  // Certificate states and audit actor types come from the dictionary too.
  await page.goto("/certificates");
  await expect(page.getByText("已吊销", { exact: true }).first()).toBeVisible();
  await expect(page.getByText("有效", { exact: true }).first()).toBeVisible();
  await shot("certificates-zh-CN");
  await page.goto("/audit");
  await expect(page.getByTestId("audit-table")).toContainText("系统");
  await shot("audit-zh-CN");

  await page.goto(clusterUrl);
  await page.getByTestId("locale-switcher").selectOption("en");
  await expect(page.getByRole("heading", { name: "Topology" })).toBeVisible();
});

test("pages fit a narrow screen", async () => {
  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto("/");
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  // node-a reports its link to node-b ok, node-b reports it failing.
  await expect(page.getByTestId("stat-links-ok")).toContainText("1");
  await expect(page.getByTestId("stat-links-failing")).toContainText("1");
  await expect(page.getByTestId("overview-clusters")).toContainText(CLUSTER);
  await shot("overview-narrow");

  await page.getByRole("button", { name: "Menu" }).click();
  await page.getByRole("link", { name: "Clusters" }).click();
  await expect(page.getByRole("link", { name: CLUSTER })).toBeVisible();
  await page.goto(clusterUrl);
  await expect(page.getByTestId("node-node-b")).toBeVisible();
  await shot("cluster-narrow");

  // Nothing scrolls sideways on any page; wide tables and configs scroll inside their panel.
  const [a] = agents as [JoinedAgent];
  const pages: [string, string, string][] = [
    ["/", "Overview", "overview"],
    [clusterUrl, CLUSTER, "cluster"],
    ["/hosts", "Hosts", "hosts"],
    [`/hosts/${a.hostId}`, "node-a", "host"],
    ["/certificates", "Certificates", "certificates"],
    ["/audit", "Audit log", "audit"],
    ["/users", "Users", "users"],
    ["/api-tokens", "API tokens", "api-tokens"],
  ];
  for (const [path, heading, name] of pages) {
    await page.goto(path);
    await expect(page.getByRole("heading", { name: heading, exact: true })).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow, `${path} is wider than the screen`).toBeLessThanOrEqual(0);
    if (name !== "overview" && name !== "cluster") await shot(`${name}-narrow`);
  }
  await page.setViewportSize({ width: 1280, height: 720 });
});

test("delete the cluster after typing its name", async () => {
  await page.goto(clusterUrl);
  await page.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: `Delete cluster ${CLUSTER}?` });
  const confirm = dialog.getByRole("button", { name: "Delete" });
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(CLUSTER).fill("redis");
  await expect(confirm).toBeDisabled();
  await dialog.getByLabel(CLUSTER).fill(CLUSTER);
  await shot("cluster-delete-dialog");
  await confirm.click();

  await expect(page).toHaveURL(/\/clusters$/);
  await expect(page.getByText("No clusters yet.")).toBeVisible();
});

test("delete a host after typing its name", async () => {
  await page.getByRole("link", { name: "Hosts" }).click();
  await page.getByTestId("hosts-table").getByRole("link", { name: "node-b" }).click();
  await expect(page.getByRole("heading", { name: "node-b" })).toBeVisible();
  await page.getByRole("button", { name: "Delete" }).click();
  const dialog = page.getByRole("dialog", { name: "Delete host node-b?" });
  await dialog.getByLabel("node-b").fill("node-b");
  await dialog.getByRole("button", { name: "Delete" }).click();

  await expect(page).toHaveURL(/\/hosts$/);
  const hosts = page.getByTestId("hosts-table");
  await expect(hosts.getByRole("link", { name: "node-a" })).toBeVisible();
  await expect(hosts.getByRole("link", { name: "node-b" })).toHaveCount(0);
});
