// The one seam between the generated protocol classes and the SDK's own types.
import { kim } from "./gen/protocol.js";

export const pb = kim.v1;
export const Command = kim.v1.Command;
export const Flag = kim.v1.Flag;
export const Status = kim.v1.Status;

export interface Header {
  command: number;
  sequence: number;
  flag: number;
  status: number;
  statusMessage: string;
}

/** A conversation as the generated classes decode it. */
export type ConversationFields = kim.v1.ConversationInfo.$Properties;

export interface Decoded {
  header: Header;
  body: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** A number from a 64-bit field, whether the runtime decoded it as a number or as a Long. */
export function num(v: unknown): number {
  if (typeof v === "number") return v;
  if (v && typeof v === "object" && "toNumber" in v) return (v as { toNumber(): number }).toNumber();
  return Number(v ?? 0);
}

/** One request packet: header plus the serialized body. */
export function request(command: number, sequence: number, body: Uint8Array): Uint8Array {
  return pb.Packet.encode({ header: { command, sequence, flag: Flag.REQUEST }, body }).finish();
}

/** Decodes one packet; throws on bytes that are not a Packet. */
export function decode(bytes: Uint8Array): Decoded {
  const p = pb.Packet.decode(bytes);
  const h = p.header ?? {};
  return {
    header: {
      command: h.command ?? 0,
      sequence: h.sequence ?? 0,
      flag: h.flag ?? 0,
      status: h.status ?? 0,
      statusMessage: h.statusMessage ?? "",
    },
    body: p.body ?? EMPTY,
  };
}

/** The status's protocol name (`"UNAVAILABLE"`), or its number for one this SDK does not know. */
export function statusName(code: number): string {
  return Status[code] ?? String(code);
}

export type ChatMessageFields = kim.v1.ChatMessage.$Properties;
