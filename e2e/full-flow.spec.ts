// The main job, end to end through the browser: the operator logs in, creates a strict
// Redis cluster and a join token per host in the console, real agents join from three
// network-namespace hosts with the join command the console shows, the topology turns
// green from the agents' live probes, and a capture on the wire shows only TLS.
//
// It needs root (namespaces, stunnel, iptables, tcpdump) and starts its own control plane
// in a namespace (scripts/demo/stack.ts), because the agents must reach the gateway
// from their namespaces; the server of the global setup is not used here.
import { join } from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { DemoStack, type RedisHost } from "../scripts/demo/stack";
import { ConsoleErrors } from "./support/console-errors";

test.describe.configure({ mode: "serial" });
test.skip(
  process.platform !== "linux" || process.getuid?.() !== 0,
  "needs root on Linux for network namespaces",
);

const SCREENSHOTS = join(import.meta.dirname, "..", "screenshots");
const ADMIN_PASSWORD = `full flow ${process.pid} password`;
const CLUSTER = "redis-full-flow";
/** Agents report every 2 s; the gateway stores one heartbeat per host per 15 s. */
const GREEN_TIMEOUT_MS = 180_000;

let stack: DemoStack;
let consoleUrl = "";
let page: Page;
let errors: ConsoleErrors;
let clusterUrl = "";
/** Inbound TLS ports of the cluster, as its form showed them. */
let tunnelPorts: number[] = [];

test.beforeAll(async ({ browser }) => {
  test.setTimeout(300_000);
  stack = new DemoStack();
  stack.createNetwork();
  await stack.startRedis();
  ({ consoleUrl } = await stack.startControlPlane(ADMIN_PASSWORD, 0));
  page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  errors = new ConsoleErrors(page);
});

test.afterEach(() => {
  expect(errors.take(), "browser console errors").toEqual([]);
});

test.afterAll(async () => {
  test.setTimeout(120_000);
  await page?.close();
  await stack?.destroy();
});

test("the operator logs in", async () => {
  await page.goto(consoleUrl);
  await expect(page).toHaveURL(/\/login/);
  await page.getByLabel("User name").fill("admin");
  await page.getByLabel("Password").fill(ADMIN_PASSWORD);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("heading", { name: "Overview" })).toBeVisible();
  await expect(page.getByTestId("signed-in-as")).toContainText("admin");
});

test("creates a strict Redis cluster", async () => {
  await page.getByRole("link", { name: "Clusters" }).click();
  await page.getByRole("link", { name: "New cluster" }).click();
  await page.getByLabel("Preset").selectOption("redis");
  await expect(page.getByLabel("Protected ports")).toHaveValue("6379, 16379");
  await page.getByLabel("Name").fill(CLUSTER);
  await page.getByLabel("Strict mode").check();
  const base = Number(await page.getByLabel("Inbound TLS port base").inputValue());
  tunnelPorts = [base, base + 1];
  await page.getByRole("button", { name: "Create" }).click();

  await expect(page.getByRole("heading", { name: CLUSTER })).toBeVisible();
  await expect(page.getByText("Strict mode")).toBeVisible();
  clusterUrl = page.url();
});

async function addHost(host: RedisHost): Promise<void> {
  await page.goto(clusterUrl);
  await page.getByRole("button", { name: "Add host" }).click();
  const wizard = page.getByRole("dialog", { name: "Add a host" });
  await wizard.getByLabel("Host name (optional)").fill(host.label);
  await wizard.getByLabel("Address in this cluster").fill(host.address);
  await wizard.getByRole("button", { name: "Create join token" }).click();

  const command = (await wizard.getByTestId("join-command").textContent()) ?? "";
  expect(command).toMatch(
    /^tunnelfleet-agent join --server https:\/\/10\.215\.0\.100:8443 --token \S+ --ca-hash sha256:/,
  );
  const output = await stack.joinAndRun(host, command);
  expect(output).toContain(`as host ${host.label}`);
  await expect(wizard.getByTestId("join-status")).toContainText(`${host.label} joined.`);
  await wizard.getByRole("button", { name: "Done" }).click();
}

test("agents join from three hosts with the command the console shows", async () => {
  test.setTimeout(240_000);
  for (const host of stack.hosts) await addHost(host);

  const members = page.getByTestId("members-table");
  for (const host of stack.hosts) await expect(members.getByRole("link", { name: host.label })).toBeVisible();
});

test("the topology turns green from the agents' probes", async () => {
  test.setTimeout(GREEN_TIMEOUT_MS + 60_000);
  await page.goto(clusterUrl);
  const [primary, first, second] = stack.hosts.map((host) => host.label) as [string, string, string];
  const edges = [`${primary}-${first}`, `${primary}-${second}`, `${first}-${second}`];
  for (const edge of edges) {
    await expect(page.getByTestId(`edge-${edge}`)).toHaveAttribute("data-state", "ok", {
      timeout: GREEN_TIMEOUT_MS,
    });
  }
  for (const host of stack.hosts) {
    await expect(page.getByTestId(`node-${host.label}`).locator("circle")).toHaveClass(/node-online/);
  }
  await page.screenshot({ path: join(SCREENSHOTS, "full-flow-topology.png"), fullPage: true });
});

test("a capture on the wire shows only TLS while Redis replicates", async () => {
  test.setTimeout(240_000);
  await stack.startCapture(stack.primary);
  await stack.startReplication();
  const { report } = await stack.proveNoPlaintext(tunnelPorts);

  expect(report.problems).toEqual([]);
  expect(report.tlsStreams).toBeGreaterThan(0);
  expect(report.tlsRecords).toBeGreaterThan(0);
});
