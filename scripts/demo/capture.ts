// Reads a tcpdump capture (classic pcap, Ethernet) and says whether anything crossed the
// wire in clear: the canary's bytes anywhere in the file, any TCP segment on an app
// port, any TCP segment on a port that is not expected to carry TLS, and any stream on
// a TLS port that does not parse as TLS records from its first byte.
import { readFileSync } from "node:fs";

export interface CaptureExpectations {
  /** Ports the app speaks in clear on its own host (Redis 6379); none may be on the wire. */
  appPorts: number[];
  /** Ports that may appear, each carrying only TLS (the inbound tunnel ports, the gateway). */
  tlsPorts: number[];
  /** Strings that must not appear anywhere in the capture. */
  canaries: string[];
}

export interface CaptureReport {
  packets: number;
  tcpSegments: number;
  /** Streams seen from their SYN whose every byte parsed as TLS records. */
  tlsStreams: number;
  tlsRecords: number;
  /** Streams that began before the capture: checked for canaries only. */
  streamsJoinedLate: number;
  /** Human-readable findings; empty when the capture shows no plaintext. */
  problems: string[];
}

interface Segment {
  /** "source:port > destination:port", one direction of a TCP connection. */
  key: string;
  sourcePort: number;
  destinationPort: number;
  seq: number;
  syn: boolean;
  payload: Buffer;
}

const TLS_CONTENT_TYPES = new Set([20, 21, 22, 23]);
/** Largest TLS record: 2^14 bytes of plaintext plus the expansion TLS 1.2 allows. */
const MAX_TLS_RECORD = 16_384 + 2_048;

export function analyseCapture(path: string, expect: CaptureExpectations): CaptureReport {
  const file = readFileSync(path);
  // A set: one finding per stream, not one per segment.
  const problems = new Set<string>();
  for (const canary of expect.canaries) {
    if (file.includes(Buffer.from(canary)))
      problems.add(`the canary ${JSON.stringify(canary)} is in the capture`);
  }

  const { packets, segments } = readSegments(file);
  const streams = new Map<string, Segment[]>();
  for (const segment of segments) {
    const ports = [segment.sourcePort, segment.destinationPort];
    if (ports.some((port) => expect.appPorts.includes(port))) {
      problems.add(`plaintext app port on the wire: ${segment.key}`);
      continue;
    }
    if (!ports.some((port) => expect.tlsPorts.includes(port))) {
      problems.add(`TCP on a port that should not be used: ${segment.key}`);
      continue;
    }
    const list = streams.get(segment.key) ?? [];
    list.push(segment);
    streams.set(segment.key, list);
  }

  let tlsStreams = 0;
  let tlsRecords = 0;
  let streamsJoinedLate = 0;
  for (const [key, list] of streams) {
    const syn = list.find((segment) => segment.syn);
    if (!syn) {
      streamsJoinedLate += 1;
      continue;
    }
    const bytes = reassemble(syn.seq + 1, list);
    if (bytes.length === 0) continue;
    const records = countTlsRecords(bytes);
    if (records === null) {
      problems.add(`a stream on a TLS port is not TLS: ${key}`);
      continue;
    }
    tlsStreams += 1;
    tlsRecords += records;
  }

  if (tlsStreams === 0) problems.add("no TLS stream was captured from its start, so nothing was proven");
  return {
    packets,
    tcpSegments: segments.length,
    tlsStreams,
    tlsRecords,
    streamsJoinedLate,
    problems: [...problems],
  };
}

/** Splits a classic pcap file (Ethernet link type) into IPv4 TCP segments. */
function readSegments(file: Buffer): { packets: number; segments: Segment[] } {
  if (file.length < 24) throw new Error("the capture file is shorter than a pcap header");
  const magic = file.readUInt32LE(0);
  const littleEndian = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  if (!littleEndian && file.readUInt32BE(0) !== 0xa1b2c3d4 && file.readUInt32BE(0) !== 0xa1b23c4d) {
    throw new Error("the capture is not a classic pcap file (write it with tcpdump -w)");
  }
  const u32 = (offset: number) => (littleEndian ? file.readUInt32LE(offset) : file.readUInt32BE(offset));
  const linkType = u32(20);
  if (linkType !== 1) throw new Error(`the capture has link type ${linkType}; only Ethernet (1) is read`);

  const segments: Segment[] = [];
  let packets = 0;
  let offset = 24;
  while (offset + 16 <= file.length) {
    const captured = u32(offset + 8);
    const start = offset + 16;
    offset = start + captured;
    if (offset > file.length) break;
    packets += 1;
    const frame = file.subarray(start, start + captured);
    const segment = tcpSegment(frame);
    if (segment) segments.push(segment);
  }
  return { packets, segments };
}

function tcpSegment(frame: Buffer): Segment | undefined {
  if (frame.length < 14 + 20 || frame.readUInt16BE(12) !== 0x0800) return undefined;
  const ip = frame.subarray(14);
  const headerLength = (ip[0]! & 0x0f) * 4;
  if (ip[9] !== 6 || ip.length < headerLength + 20) return undefined;
  const totalLength = Math.min(ip.readUInt16BE(2), ip.length);
  const source = `${ip[12]}.${ip[13]}.${ip[14]}.${ip[15]}`;
  const destination = `${ip[16]}.${ip[17]}.${ip[18]}.${ip[19]}`;

  const tcp = ip.subarray(headerLength, totalLength);
  const dataOffset = (tcp[12]! >> 4) * 4;
  const flags = tcp[13]!;
  const sourcePort = tcp.readUInt16BE(0);
  const destinationPort = tcp.readUInt16BE(2);
  return {
    key: `${source}:${sourcePort} > ${destination}:${destinationPort}`,
    sourcePort,
    destinationPort,
    seq: tcp.readUInt32BE(4),
    syn: (flags & 0x02) !== 0,
    payload: tcp.subarray(dataOffset),
  };
}

/** Puts one direction's payloads in sequence order from `firstSeq`; stops at the first gap. */
function reassemble(firstSeq: number, segments: Segment[]): Buffer {
  const bySeq = new Map<number, Buffer>();
  for (const segment of segments) {
    if (segment.payload.length === 0) continue;
    const relative = (segment.seq - firstSeq) >>> 0;
    const known = bySeq.get(relative);
    if (!known || known.length < segment.payload.length) bySeq.set(relative, segment.payload);
  }
  const parts: Buffer[] = [];
  let position = 0;
  for (const relative of [...bySeq.keys()].sort((a, b) => a - b)) {
    const payload = bySeq.get(relative)!;
    if (relative > position) break;
    if (relative + payload.length <= position) continue;
    parts.push(payload.subarray(position - relative));
    position = relative + payload.length;
  }
  return Buffer.concat(parts);
}

/** Counts the TLS records `bytes` consists of, or null when a record header is not TLS. */
function countTlsRecords(bytes: Buffer): number | null {
  let records = 0;
  let offset = 0;
  while (offset + 5 <= bytes.length) {
    const type = bytes[offset]!;
    const major = bytes[offset + 1]!;
    const minor = bytes[offset + 2]!;
    const length = bytes.readUInt16BE(offset + 3);
    if (!TLS_CONTENT_TYPES.has(type) || major !== 3 || minor > 4 || length > MAX_TLS_RECORD) return null;
    records += 1;
    offset += 5 + length;
  }
  // A record cut off by the end of the capture is fine; a stray short tail is not TLS.
  if (offset < bytes.length && records === 0) return null;
  return records;
}
