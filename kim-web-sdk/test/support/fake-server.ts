// An in-process kim server speaking the protocol over fake WebSockets: deterministic under fake timers.
import { kim } from "../../src/gen/protocol.js";

const pb = kim.v1;
const { Command, Flag, Status } = pb;

type Handler = (e: { code: number; reason: string }) => void;

export interface Entry {
  sequence: number;
  message: kim.v1.ChatMessage.$Properties;
}

interface Identity {
  user: string;
  device: string;
}

/** A decoded request as the server saw it. */
export interface Seen {
  command: number;
  sequence: number;
  body: Uint8Array;
  user?: string;
}

/** What a request interceptor decides: answer normally, answer with a status, or drop the response. */
export type Verdict = "pass" | "drop" | "drop-response" | { status: number; message?: string };

export class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  binaryType = "blob";
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: Handler | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  identity?: Identity;
  private closing = false;
  readonly server: FakeServer;

  constructor(readonly url: string, server: FakeServer) {
    this.server = server;
    server.connects.push({ url, at: Date.now() });
    queueMicrotask(() => {
      if (server.down.has(url) || !server.up) {
        this.readyState = 3;
        this.onclose?.({ code: 1006, reason: "" });
        return;
      }
      this.readyState = 1;
      server.sockets.add(this);
      this.onopen?.({});
    });
  }

  send(data: Uint8Array): void {
    if (this.readyState !== 1) throw new Error("not open");
    if (this.closing) return;
    const copy = new Uint8Array(data);
    queueMicrotask(() => this.server.receive(this, copy));
  }

  close(code = 1000, reason = ""): void {
    if (this.readyState >= 2) return;
    this.readyState = 2;
    this.serverClose(code, reason);
  }

  /** Delivers one packet to the client. */
  deliver(bytes: Uint8Array): void {
    if (this.readyState !== 1) return;
    const buf = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    queueMicrotask(() => {
      if (this.readyState === 1) this.onmessage?.({ data: buf });
    });
  }

  /** The server closes the connection with a close frame (or without, code 1006). */
  serverClose(code: number, reason = ""): void {
    if (this.closing) return;
    this.closing = true;
    // After what was delivered before it, as on a real connection.
    queueMicrotask(() => {
      this.readyState = 3;
      this.server.sockets.delete(this);
      this.onclose?.({ code, reason });
    });
  }
}

export class FakeServer {
  readonly sockets = new Set<FakeSocket>();
  readonly connects: { url: string; at: number }[] = [];
  readonly seen: Seen[] = [];
  readonly down = new Set<string>();
  readonly inboxes = new Map<string, Entry[]>();
  readonly epochs = new Map<string, string>();
  readonly groups = new Map<string, { owner: string; members: string[]; name: string }>();
  readonly sentByClientId = new Map<string, { messageId: string; timestamp: number; sequence: number }>();
  /** Valid tokens: token -> identity. */
  readonly tokens = new Map<string, Identity>();
  up = true;
  intercept: (s: Seen, socket: FakeSocket) => Verdict = () => "pass";
  /** Pushes to these sequences are not sent (lost), to make gaps. */
  readonly lostPushes = new Set<string>();
  private messages = 0;

  /** The constructor to pass as `options.WebSocket`. */
  readonly WebSocket: new (url: string) => FakeSocket;

  constructor() {
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const server = this;
    this.WebSocket = class extends FakeSocket {
      constructor(url: string) {
        super(url, server);
      }
    };
  }

  addUser(user: string, device = `${user}-web`, token = `token-${user}-${device}`): string {
    this.tokens.set(token, { user, device });
    if (!this.inboxes.has(user)) this.inboxes.set(user, []);
    if (!this.epochs.has(user)) this.epochs.set(user, "epoch-1");
    return token;
  }

  inbox(user: string): Entry[] {
    let i = this.inboxes.get(user);
    if (!i) this.inboxes.set(user, (i = []));
    return i;
  }

  /** Appends a message from `from` to `to`'s inbox (and `from`'s), pushing to online devices; returns the entries. */
  store(from: string, to: string, text: string, opts: { push?: boolean; clientMessageId?: string; group?: string } = {}): void {
    const message: kim.v1.ChatMessage.$Properties = {
      messageId: `m-${++this.messages}`, senderId: from, senderDevice: `${from}-web`,
      chatType: opts.group ? pb.TargetType.CHAT_GROUP : pb.TargetType.CHAT_USER, target: opts.group ?? to,
      clientMessageId: opts.clientMessageId ?? `c-${this.messages}`, contentType: "text/plain",
      body: new TextEncoder().encode(text), timestamp: 1_000 + this.messages,
    };
    const receivers = opts.group ? this.groups.get(opts.group)!.members : [to, from];
    for (const u of new Set(receivers)) {
      const inbox = this.inbox(u);
      const sequence = inbox.length + 1;
      inbox.push({ sequence, message });
      if (opts.push !== false) this.pushEntry(u, { sequence, message }, from === u ? `${from}-web` : undefined);
    }
  }

  pushEntry(user: string, e: Entry, exceptDevice?: string): void {
    if (this.lostPushes.has(`${user}:${e.sequence}`)) return;
    const body = pb.MessagePush.encode({ sequence: e.sequence, message: e.message }).finish();
    for (const s of this.sockets) {
      if (s.identity?.user === user && s.identity.device !== exceptDevice) s.deliver(push(Command.MESSAGE, body));
    }
  }

  /** Simulates a restart with a fresh in-memory store: every connection dropped, every inbox recreated. */
  restart(): void {
    this.closeAll(1001, "server shutting down");
    for (const u of this.inboxes.keys()) this.inboxes.set(u, []);
    for (const u of this.epochs.keys()) this.epochs.set(u, `epoch-${Math.random().toString(36).slice(2)}`);
    this.sentByClientId.clear();
  }

  closeAll(code: number, reason = ""): void {
    for (const s of [...this.sockets]) s.serverClose(code, reason);
  }

  kick(user: string): void {
    for (const s of [...this.sockets]) {
      if (s.identity?.user !== user) continue;
      s.deliver(push(Command.KICK, pb.KickPush.encode({ reason: "replaced by a newer login", byDeviceId: "other" }).finish()));
      s.serverClose(4003, "kicked");
    }
  }

  requests(command: number): Seen[] {
    return this.seen.filter((s) => s.command === command);
  }

  receive(socket: FakeSocket, bytes: Uint8Array): void {
    const p = pb.Packet.decode(bytes);
    const h = p.header!;
    const seen: Seen = { command: h.command ?? 0, sequence: h.sequence ?? 0, body: p.body ?? new Uint8Array(0), user: socket.identity?.user };
    this.seen.push(seen);
    const verdict = this.intercept(seen, socket);
    if (verdict === "drop") return;
    if (typeof verdict === "object") {
      socket.deliver(response(seen, verdict.status, new Uint8Array(0), verdict.message));
      return;
    }
    const answer = this.handle(socket, seen);
    if (answer && verdict !== "drop-response") socket.deliver(answer);
    if (seen.command === Command.LOGOUT) socket.serverClose(1000, "logged out");
  }

  private handle(socket: FakeSocket, r: Seen): Uint8Array | undefined {
    if (!socket.identity) {
      if (r.command !== Command.LOGIN) return response(r, Status.NOT_LOGGED_IN);
      const id = this.tokens.get(pb.LoginRequest.decode(r.body).token);
      if (!id) {
        const answer = response(r, Status.UNAUTHORIZED, new Uint8Array(0), "bad token");
        socket.deliver(answer);
        socket.serverClose(1008, "unauthorized");
        return undefined;
      }
      socket.identity = id;
      return response(r, Status.OK, pb.LoginResponse.encode({
        channelId: "ch", tenant: "demo", userId: id.user, deviceId: id.device, deviceType: "web",
        headSequence: this.inbox(id.user).length, serverTime: Date.now(), inboxEpoch: this.epochs.get(id.user) ?? "epoch-1",
      }).finish());
    }
    const me = socket.identity.user;
    switch (r.command) {
      case Command.HEARTBEAT:
      case Command.LOGOUT:
      case Command.ACK:
        return response(r, Status.OK);
      case Command.SYNC: {
        const q = pb.SyncRequest.decode(r.body);
        const after = n(q.afterSequence);
        const limit = q.limit || 100;
        const inbox = this.inbox(me);
        const entries = inbox.filter((e) => e.sequence > after).slice(0, limit);
        return response(r, Status.OK, pb.SyncResponse.encode({
          entries, headSequence: inbox.length, hasMore: inbox.length > after + entries.length,
          inboxEpoch: this.epochs.get(me) ?? "epoch-1",
        }).finish());
      }
      case Command.SEND: {
        const q = pb.SendRequest.decode(r.body);
        const key = `${me}/${q.clientMessageId}`;
        const before = this.sentByClientId.get(key);
        if (before) return response(r, Status.OK, pb.SendResponse.encode({ ...before, duplicate: true }).finish());
        const group = q.chatType === pb.TargetType.CHAT_GROUP ? q.target : undefined;
        if (group && !this.groups.get(group)?.members.includes(me)) return response(r, Status.FORBIDDEN, new Uint8Array(0), "not a member");
        if (!group && !this.tokens.size) return response(r, Status.NO_SUCH_USER);
        const message: kim.v1.ChatMessage.$Properties = {
          messageId: `m-${++this.messages}`, senderId: me, senderDevice: socket.identity.device, chatType: q.chatType,
          target: q.target, clientMessageId: q.clientMessageId, contentType: q.contentType, body: q.body, timestamp: 5_000 + this.messages,
        };
        const receivers = group ? this.groups.get(group)!.members : [q.target, me];
        let mine = 0;
        for (const u of new Set(receivers)) {
          const inbox = this.inbox(u);
          const e = { sequence: inbox.length + 1, message };
          inbox.push(e);
          if (u === me) mine = e.sequence;
          this.pushEntry(u, e, u === me ? socket.identity.device : undefined);
        }
        const ack = { messageId: message.messageId!, timestamp: message.timestamp as number, sequence: mine };
        this.sentByClientId.set(key, ack);
        return response(r, Status.OK, pb.SendResponse.encode(ack).finish());
      }
      case Command.GROUP_CREATE: {
        const q = pb.GroupCreateRequest.decode(r.body);
        const id = q.groupId || `g${this.groups.size + 1}`;
        if (this.groups.has(id)) return response(r, Status.FORBIDDEN);
        const members = [...new Set([me, ...q.members])];
        this.groups.set(id, { owner: me, members, name: q.name });
        return response(r, Status.OK, pb.GroupProfile.encode({ groupId: id, ownerId: me, name: q.name, memberCount: members.length }).finish());
      }
      case Command.GROUP_MEMBERS: {
        const g = this.groups.get(pb.GroupRequest.decode(r.body).groupId);
        if (!g) return response(r, Status.NO_SUCH_GROUP);
        return response(r, Status.OK, pb.GroupMembers.encode({ groupId: "", members: g.members }).finish());
      }
      case Command.PRESENCE: {
        // online: anyone with an open socket now
        const q = pb.PresenceRequest.decode(r.body);
        const online = new Set([...this.sockets].filter((s) => s.identity).map((s) => s.identity!.user));
        const presences = q.subscribe.map((userId) => ({ userId, online: online.has(userId), lastSeen: 0 }));
        return response(r, Status.OK, pb.PresenceResponse.encode({ presences }).finish());
      }
      default:
        return response(r, Status.UNKNOWN_COMMAND);
    }
  }
}

function response(r: Seen, status: number, body: Uint8Array = new Uint8Array(0), message = ""): Uint8Array {
  return pb.Packet.encode({ header: { command: r.command, sequence: r.sequence, flag: Flag.RESPONSE, status, statusMessage: message }, body }).finish();
}

function push(command: number, body: Uint8Array): Uint8Array {
  return pb.Packet.encode({ header: { command, sequence: 0, flag: Flag.PUSH }, body }).finish();
}

/** Lets queued microtasks (fake socket traffic) run; bounded. */
export async function settle(rounds = 50): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** A 64-bit field as a number, whether decoded as a number or a Long. */
export function n(v: unknown): number {
  return typeof v === "object" && v !== null ? (v as { toNumber(): number }).toNumber() : Number(v);
}
