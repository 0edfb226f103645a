// Child process of bench/gateway.ts: runs many simulated agents (the tests' SimAgent in
// lightweight mode) so the gateway's process measures only its own memory and event loop.
// Protocol over IPC: the parent sends "start" with every agent's certificate, then
// "connect" for a range of agents. This process replies "connected" once each agent of the
// range applied its first bundle. After "mark" it collects each agent's next ack time and
// sends them with "done" when every agent has acked.

import { SimAgent } from "../apps/console/test/gateway/sim-agent";

interface StartMessage {
  type: "start";
  url: string;
  caPem: string;
  keyPem: string;
  certPems: string[];
}

interface ConnectMessage {
  type: "connect";
  from: number;
  to: number;
  concurrency: number;
}

type ParentMessage = StartMessage | ConnectMessage | { type: "mark" } | { type: "stop" };

const agents: SimAgent[] = [];
let marked = false;
let ackedAfterMark = new Set<number>();
let ackTimes: number[] = [];
const firstAcked = new Set<number>();

function send(message: unknown): void {
  process.send?.(message);
}

function start(message: StartMessage): void {
  message.certPems.forEach((certPem, index) => {
    const agent = new SimAgent({
      url: message.url,
      caPem: message.caPem,
      certPem,
      keyPem: message.keyPem,
      lightweight: true,
    });
    agent.onAck = () => {
      firstAcked.add(index);
      if (!marked || ackedAfterMark.has(index)) return;
      ackedAfterMark.add(index);
      ackTimes.push(Date.now());
      if (ackedAfterMark.size === agents.length) send({ type: "done", ackTimes });
    };
    agents.push(agent);
  });
}

async function connect(message: ConnectMessage): Promise<void> {
  const range = agents.slice(message.from, message.to);
  let next = 0;
  const worker = async () => {
    while (next < range.length) {
      const agent = range[next++]!;
      await agent.connect();
    }
  };
  await Promise.all(Array.from({ length: message.concurrency }, worker));

  const rejected = range.filter((agent) => agent.rejectedStatus !== null || agent.closeCode !== null).length;
  const deadline = Date.now() + 600_000;
  const ackedInRange = () => range.filter((_, offset) => firstAcked.has(message.from + offset)).length;
  while (ackedInRange() < range.length && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  send({ type: "connected", acked: ackedInRange(), rejected });
}

process.on("message", (message: ParentMessage) => {
  if (message.type === "start") {
    start(message);
  } else if (message.type === "connect") {
    connect(message).catch((error: unknown) => send({ type: "failed", error: String(error) }));
  } else if (message.type === "mark") {
    marked = true;
    ackedAfterMark = new Set();
    ackTimes = [];
  } else if (message.type === "stop") {
    for (const agent of agents) agent.terminate();
    process.exit(0);
  }
});
