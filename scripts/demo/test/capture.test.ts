// The capture check on pcap files written here byte by byte: it must find the canary,
// the app port and a stream on a tunnel port that is not TLS, and pass a TLS stream.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { analyseCapture } from "../capture";

const dir = mkdtempSync(join(tmpdir(), "tf-demo-capture-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Packet {
  source: [string, number];
  destination: [string, number];
  seq: number;
  syn?: boolean;
  payload?: Buffer;
}

function frame(packet: Packet): Buffer {
  const payload = packet.payload ?? Buffer.alloc(0);
  const tcp = Buffer.alloc(20);
  tcp.writeUInt16BE(packet.source[1], 0);
  tcp.writeUInt16BE(packet.destination[1], 2);
  tcp.writeUInt32BE(packet.seq, 4);
  tcp[12] = 5 << 4;
  tcp[13] = packet.syn ? 0x02 : 0x18;
  const ip = Buffer.alloc(20);
  ip[0] = 0x45;
  ip.writeUInt16BE(20 + 20 + payload.length, 2);
  ip[9] = 6;
  Buffer.from(packet.source[0].split(".").map(Number)).copy(ip, 12);
  Buffer.from(packet.destination[0].split(".").map(Number)).copy(ip, 16);
  const ethernet = Buffer.alloc(14);
  ethernet.writeUInt16BE(0x0800, 12);
  return Buffer.concat([ethernet, ip, tcp, payload]);
}

function writePcap(name: string, packets: Packet[]): string {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(262_144, 16);
  header.writeUInt32LE(1, 20);
  const records = packets.map((packet) => {
    const data = frame(packet);
    const record = Buffer.alloc(16);
    record.writeUInt32LE(data.length, 8);
    record.writeUInt32LE(data.length, 12);
    return Buffer.concat([record, data]);
  });
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([header, ...records]));
  return path;
}

function tlsRecord(type: number, body: Buffer): Buffer {
  const header = Buffer.from([type, 3, 3, 0, 0]);
  header.writeUInt16BE(body.length, 3);
  return Buffer.concat([header, body]);
}

const CLIENT: [string, number] = ["10.215.0.2", 40_000];
const TUNNEL: [string, number] = ["10.215.0.1", 19_200];
const expectations = { appPorts: [6379], tlsPorts: [19_200], canaries: ["canary-123"] };

/** A connection from its SYN, whose first segment carries `first` and whose second `second`. */
function stream(first: Buffer, second: Buffer): Packet[] {
  return [
    { source: CLIENT, destination: TUNNEL, seq: 1000, syn: true },
    { source: CLIENT, destination: TUNNEL, seq: 1001, payload: first },
    { source: CLIENT, destination: TUNNEL, seq: 1001 + first.length, payload: second },
  ];
}

describe("analyseCapture", () => {
  it("passes a stream of TLS records split across segments", () => {
    const records = Buffer.concat([tlsRecord(22, Buffer.alloc(300, 1)), tlsRecord(23, Buffer.alloc(40, 2))]);
    const path = writePcap("tls.pcap", stream(records.subarray(0, 100), records.subarray(100)));

    const report = analyseCapture(path, expectations);

    expect(report.problems).toEqual([]);
    expect(report.tlsStreams).toBe(1);
    expect(report.tlsRecords).toBe(2);
  });

  it("reports a stream on a tunnel port that is not TLS", () => {
    const path = writePcap("plain.pcap", stream(Buffer.from("*1\r\n$4\r\n"), Buffer.from("PING\r\n")));

    expect(analyseCapture(path, expectations).problems).toContain(
      "a stream on a TLS port is not TLS: 10.215.0.2:40000 > 10.215.0.1:19200",
    );
  });

  it("reports the canary and the app port", () => {
    const path = writePcap("leak.pcap", [
      ...stream(tlsRecord(22, Buffer.alloc(10)), tlsRecord(23, Buffer.alloc(10))),
      { source: CLIENT, destination: ["10.215.0.1", 6379], seq: 5, payload: Buffer.from("SET k canary-123") },
    ]);

    const problems = analyseCapture(path, expectations).problems;

    expect(problems).toContain('the canary "canary-123" is in the capture');
    expect(problems).toContain("plaintext app port on the wire: 10.215.0.2:40000 > 10.215.0.1:6379");
  });

  it("proves nothing without a TLS stream seen from its start", () => {
    const path = writePcap("late.pcap", [
      { source: CLIENT, destination: TUNNEL, seq: 77, payload: tlsRecord(23, Buffer.alloc(10)) },
    ]);

    const report = analyseCapture(path, expectations);

    expect(report.streamsJoinedLate).toBe(1);
    expect(report.problems).toEqual(["no TLS stream was captured from its start, so nothing was proven"]);
  });
});
