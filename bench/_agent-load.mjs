// Load helper of bench/agent.ts, run inside a network namespace with plain node.
//   serve <address>             ports 7000 and 7002: write one byte and close; ports 7001
//                               and 7003: count bytes until the client half-closes, then
//                               reply the count. (7000/7001 are tunnelled, 7002/7003 not.)
//   connect <host> <port> <max> <seconds>   sequential connects until max or seconds;
//                               prints {"connections": n, "seconds": s}.
//   bulk <host> <port> <megabytes> <seconds> sends the bytes, waits for the count; prints
//                               {"bytes": n, "seconds": s}.
import { connect, createServer } from "node:net";

const [mode, host, portText, countText, secondsText] = process.argv.slice(2);

if (mode === "serve") {
  let listening = 0;
  const ready = () => {
    listening += 1;
    if (listening === 4) process.stdout.write("READY\n");
  };
  for (const port of [7000, 7002]) {
    createServer((socket) => {
      socket.on("error", () => undefined);
      socket.end("x");
    }).listen(port, host, ready);
  }
  for (const port of [7001, 7003]) {
    createServer((socket) => {
      let bytes = 0;
      socket.on("error", () => undefined);
      socket.on("data", (chunk) => {
        bytes += chunk.length;
      });
      socket.on("end", () => socket.end(String(bytes)));
    }).listen(port, host, ready);
  }
} else if (mode === "connect") {
  const max = Number(countText);
  const deadline = Date.now() + Number(secondsText) * 1000;
  const started = Date.now();
  let connections = 0;
  const once = () =>
    new Promise((resolve) => {
      const socket = connect({ host, port: Number(portText) });
      let got = false;
      socket.on("data", () => {
        got = true;
      });
      socket.on("close", () => resolve(got));
      socket.on("error", () => resolve(false));
      socket.setTimeout(5000, () => socket.destroy());
    });
  while (connections < max && Date.now() < deadline) {
    if (await once()) connections += 1;
  }
  process.stdout.write(`${JSON.stringify({ connections, seconds: (Date.now() - started) / 1000 })}\n`);
} else if (mode === "bulk") {
  const total = Number(countText) * 1024 * 1024;
  const chunk = Buffer.alloc(256 * 1024, 7);
  const started = Date.now();
  const socket = connect({ host, port: Number(portText) });
  const timer = setTimeout(() => socket.destroy(), Number(secondsText) * 1000);
  let sent = 0;
  let reply = "";
  const pump = () => {
    while (sent < total) {
      sent += chunk.length;
      if (!socket.write(chunk)) return socket.once("drain", pump);
    }
    socket.end();
  };
  socket.on("connect", pump);
  socket.on("data", (data) => {
    reply += data;
  });
  socket.on("close", () => {
    clearTimeout(timer);
    process.stdout.write(
      `${JSON.stringify({ bytes: Number(reply) || 0, seconds: (Date.now() - started) / 1000 })}\n`,
    );
  });
  socket.on("error", () => undefined);
} else {
  process.stderr.write(`unknown mode ${mode}\n`);
  process.exit(2);
}
