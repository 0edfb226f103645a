// The few console API calls the demo makes, as any automation would: a tRPC login for a
// session, an API token created with it, then REST at /api/v1 with that bearer token.
export interface ClusterView {
  id: string;
  name: string;
  appPorts: number[];
  /** The inbound TLS port of appPorts[i] is inboundPortBase + i on every member. */
  inboundPortBase: number;
}

export interface CreatedJoinToken {
  id: string;
  hostName: string | null;
  /** One-line `tunnelfleet-agent join ...` command, as the console shows it. */
  command: string;
}

export interface ProbeResult {
  peerHostId: string;
  address: string;
  port: number;
  ok: boolean;
  error?: string;
}

export interface HostState {
  hostId: string;
  hostName: string;
  inSync: boolean;
  desired: { generation: number; bundleHash: string | null } | null;
  observed: {
    generation: number | null;
    bundleHash: string | null;
    applyOk: boolean | null;
    applyError: string | null;
    connected: boolean;
    health: { probes?: ProbeResult[] } | null;
  } | null;
}

export class ConsoleApi {
  private bearer = "";

  constructor(readonly baseUrl: string) {}

  /** Logs in with a password and creates an API token for the calls that follow. */
  async signIn(username: string, password: string): Promise<void> {
    const login = await fetch(`${this.baseUrl}/api/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-tunnelfleet-csrf": "1" },
      body: JSON.stringify({ json: { username, password } }),
    });
    if (!login.ok)
      throw new Error(`login as ${username} failed with HTTP ${login.status}: ${await login.text()}`);
    const cookie = (login.headers.get("set-cookie") ?? "").split(";")[0] ?? "";

    const token = await this.request<{ secret: string }>(
      "POST",
      "/api-tokens",
      { name: "demo", role: "admin" },
      {
        cookie,
        "x-tunnelfleet-csrf": "1",
      },
    );
    this.bearer = token.secret;
  }

  createCluster(input: { name: string; preset: string; strict: boolean }): Promise<ClusterView> {
    return this.request("POST", "/clusters", input);
  }

  createJoinToken(input: {
    hostName: string;
    clusterId: string;
    address: string;
  }): Promise<CreatedJoinToken> {
    return this.request("POST", "/join-tokens", input);
  }

  hostStates(): Promise<HostState[]> {
    return this.request("GET", "/state");
  }

  private async request<T>(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = { authorization: `Bearer ${this.bearer}` },
  ): Promise<T> {
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method,
      headers: { ...headers, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok)
      throw new Error(`${method} /api/v1${path} failed with HTTP ${response.status}: ${text}`);
    return JSON.parse(text) as T;
  }
}
