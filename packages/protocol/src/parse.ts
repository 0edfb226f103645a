// Parsing of raw WebSocket frames into typed messages. Never throws: every failure comes
// back as a ProtocolError whose reason the gateway sends and logs before closing.

import type { z } from "zod";
import {
  type AgentMessage,
  agentMessageSchema,
  type GatewayMessage,
  gatewayMessageSchema,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
} from "./messages";

export type ProtocolErrorReason =
  | "malformed-json"
  | "unknown-type"
  | "bad-version"
  | "oversized"
  | "invalid-field";

/** A frame that is not a valid message. `field` is the dotted path of the first bad field. */
export class ProtocolError extends Error {
  override readonly name = "ProtocolError";

  constructor(
    readonly reason: ProtocolErrorReason,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export type ParseResult<T> = { ok: true; message: T } | { ok: false; error: ProtocolError };

type RawFrame = string | Buffer | ArrayBuffer | Buffer[];

/** Parses one agent -> gateway frame. A hello with another protocol version is `bad-version`. */
export function parseAgentMessage(raw: RawFrame): ParseResult<AgentMessage> {
  const result = parseFrame(raw, agentMessageSchema, ["hello", "ack", "heartbeat", "csr"]);
  if (!result.ok) return result;

  const message = result.message;
  if (message.type === "hello" && message.protocolVersion !== PROTOCOL_VERSION) {
    return fail(
      "bad-version",
      `protocol version ${message.protocolVersion} is not supported: this gateway speaks version ${PROTOCOL_VERSION}; upgrade the agent or the control plane`,
      "protocolVersion",
    );
  }
  return result;
}

/** Parses one gateway -> agent frame. */
export function parseGatewayMessage(raw: RawFrame): ParseResult<GatewayMessage> {
  return parseFrame(raw, gatewayMessageSchema, ["welcome", "bundle", "csrRequest", "error"]);
}

function parseFrame<T>(raw: RawFrame, schema: z.ZodType<T>, knownTypes: string[]): ParseResult<T> {
  const text = frameText(raw);
  if (text === null) {
    return fail("oversized", `frame exceeds the maximum of ${MAX_FRAME_BYTES} bytes`);
  }

  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail("malformed-json", `frame is not valid JSON: ${(error as Error).message}`);
  }

  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail("malformed-json", "frame must be a JSON object with a string field 'type'");
  }
  const type = (value as { type?: unknown }).type;
  if (typeof type !== "string" || !knownTypes.includes(type)) {
    const shown = typeof type === "string" ? JSON.stringify(type.slice(0, 64)) : String(type);
    return fail(
      "unknown-type",
      `unknown message type ${shown}; expected one of ${knownTypes.join(", ")}`,
      "type",
    );
  }

  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue ? issue.path.map(String).join(".") : "";
    const detail = issue ? issue.message : "invalid message";
    return fail("invalid-field", `invalid ${type} message: field '${field}': ${detail}`, field);
  }
  return { ok: true, message: parsed.data };
}

/** Returns the frame as text, or null when it is larger than MAX_FRAME_BYTES. */
function frameText(raw: RawFrame): string | null {
  if (typeof raw === "string") {
    return Buffer.byteLength(raw, "utf8") > MAX_FRAME_BYTES ? null : raw;
  }
  let buffer: Buffer;
  if (Array.isArray(raw)) buffer = Buffer.concat(raw);
  else if (Buffer.isBuffer(raw)) buffer = raw;
  else buffer = Buffer.from(raw);
  return buffer.length > MAX_FRAME_BYTES ? null : buffer.toString("utf8");
}

function fail<T>(reason: ProtocolErrorReason, message: string, field?: string): ParseResult<T> {
  return { ok: false, error: new ProtocolError(reason, message, field) };
}

/** Serialises a message for the wire. */
export function encodeMessage(message: AgentMessage | GatewayMessage): string {
  return JSON.stringify(message);
}
