import { Backoff } from "./backoff.js";
import { KimClientError, KimStatusError, KimTimeoutError } from "./errors.js";
import { Sequencer } from "./sequencer.js";
import { MemoryStorage, type KimStorage } from "./storage.js";
import { Command, Flag, Status, decode, num, pb, request, statusName, type ChatMessageFields, type ConversationFields, type Header } from "./wire.js";

/** Where the client is; see docs/web-sdk.md. `kicked` and `closed` are terminal. */
export type ConnectionState = "new" | "connecting" | "online" | "reconnecting" | "kicked" | "closed";

/** A one-to-one chat (target: a user id) or a group chat (target: a group id). */
export type ChatKind = "user" | "group";

/** One entry of the user's inbox, delivered once, in sequence order. */
export interface KimMessage {
  /** Its position in this user's inbox. */
  sequence: number;
  messageId: string;
  senderId: string;
  senderDevice: string;
  chatType: ChatKind;
  /** The receiving user, or the group id of a group message. */
  target: string;
  clientMessageId: string;
  contentType: string;
  body: Uint8Array;
  /** The body as UTF-8 text when the content type starts with `text`, else `undefined`. */
  text?: string;
  /** Server time, epoch milliseconds. */
  timestamp: number;
}

/** The acknowledgement of a send: the message is stored. */
export interface SendResult {
  messageId: string;
  clientMessageId: string;
  timestamp: number;
  /** The message's position in the sender's own inbox. */
  sequence: number;
  /** `true` if the server had stored this client message id before (a retry). */
  duplicate: boolean;
}

export interface LoginInfo {
  channelId: string;
  tenant: string;
  userId: string;
  deviceId: string;
  deviceType: string;
  headSequence: number;
  serverTime: number;
  inboxEpoch: string;
}

export interface GroupInfo {
  groupId: string;
  ownerId: string;
  name: string;
  avatar: string;
  introduction: string;
  createdAt: number;
  memberCount: number;
  /** Who may make a user a member. */
  joinPolicy: JoinPolicy;
}

/**
 * Who may make a user a member of a group: `"invite-only"` (the default: only members add members), `"open"`
 * (anyone of the tenant who knows the id joins at once), `"approval"` (a join files a request the owner approves).
 */
export type JoinPolicy = "invite-only" | "open" | "approval";

export interface NewGroup {
  /** Empty or absent: the server picks one. */
  groupId?: string;
  name: string;
  avatar?: string;
  introduction?: string;
  /** Initial members besides the creator, who becomes the owner. */
  members?: string[];
  /** Default `"invite-only"`. */
  joinPolicy?: JoinPolicy;
}

export interface GroupEvent {
  kind: "created" | "joined" | "quit" | "dissolved" | "joinRequested";
  groupId: string;
  userId: string;
}

export interface SendOptions {
  /** Default `"user"`. */
  chatType?: ChatKind;
  /** 1-128 characters, unique among the user's messages. Default: a random one. */
  clientMessageId?: string;
  /** Default `"text/plain; charset=utf-8"` for a string body, `"application/octet-stream"` for bytes. */
  contentType?: string;
}

/** A read receipt (an inbox entry of content type `kim/read`): `readerId` read the conversation with `peerId` up to `messageId`. */
export interface ReadNotice {
  sequence: number;
  readerId: string;
  readerDevice: string;
  peerId: string;
  messageId: string;
  /** Every message of the conversation up to this time is read. */
  timestamp: number;
  readerSequence: number;
}

/** A recall (an inbox entry of content type `kim/recall`): show `messageId` as recalled. */
export interface RecallNotice {
  sequence: number;
  messageId: string;
  recalledBy: string;
  chatType: ChatKind;
  target: string;
}

/** An edit (an inbox entry of content type `kim/edit`): show the new content if `version` is above the one shown. */
export interface EditNotice {
  sequence: number;
  messageId: string;
  version: number;
  contentType: string;
  body: Uint8Array;
  text?: string;
  chatType: ChatKind;
  target: string;
}

/** One conversation: a peer user or a group, its last message, the read position and the unread count. */
export interface ConversationSummary {
  chatType: ChatKind;
  peer: string;
  lastSequence: number;
  lastTimestamp: number;
  lastMessage?: KimMessage;
  readSequence: number;
  unread: number;
}

/** The events of {@link KimClient.on}. */
export interface KimEvents {
  /** A read receipt, in the inbox's order instead of a `message`. */
  read: ReadNotice;
  /** A recall, in the inbox's order instead of a `message`. */
  recalled: RecallNotice;
  /** An edit, in the inbox's order instead of a `message`. */
  edited: EditNotice;
  /** Someone is typing (never stored). */
  typing: { senderId: string; senderDevice: string; chatType: ChatKind; target: string };
  /** A watched user came online or went offline. */
  presence: { userId: string; online: boolean; lastSeen: number };
  /** Every inbox entry after the last sequence, in order, once. */
  message: KimMessage;
  state: ConnectionState;
  /** The server's inbox has another epoch than the saved position: delivery starts over from sequence 0. */
  reset: { previousEpoch: string; epoch: string };
  /** Entries `from..to` were dropped by the server's retention before this client synced them. */
  expired: { from: number; to: number };
  /** Another login replaced this one; the client stops (state `kicked`). */
  kicked: { reason: string };
  group: GroupEvent;
  /** Every login that has delivered all entries after the last sequence (first connect and each reconnect). */
  synced: LoginInfo;
}

/** The part of the WebSocket API the client uses; the browser's `WebSocket` and the `ws` package's both fit. */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** The subset of `fetch` the router needs. */
export type FetchLike = (url: string, init: { signal?: AbortSignal; headers?: Record<string, string> }) =>
  Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

/** Settings of a {@link KimClient}; `token` and one of `addresses` or `router` are required. */
export interface KimClientOptions {
  /** WebSocket URLs (`ws://host:8001/ws`), in order of preference: a failed attempt moves on to the next. */
  addresses?: string[];
  /**
   * The gateway router's URL (`https://router.example.com/gateways?tenant=acme&user=alice`) instead of fixed
   * addresses: asked before the first connection, after a lost connection and after a whole round of failed
   * attempts; its answer's `ws` addresses are tried in its order. When the router cannot be reached, the last
   * answer is used again (and the attempt fails if there is none yet).
   */
  router?: string;
  /** Default: `globalThis.fetch`; only used with `router`. */
  fetch?: FetchLike;
  /** The login token, or a function called before every login (first and each reconnect) that returns one. */
  token: string | (() => string | Promise<string>);
  /** Where the last sequence and epoch per user are kept. Default: {@link MemoryStorage}. */
  storage?: KimStorage;
  /** Send a HEARTBEAT when nothing was sent for this long; a connection silent for 3 times as long is dropped. Default 30 000; 0 disables. */
  heartbeatMs?: number;
  /** How long one attempt may take: connect plus login, one send attempt, one sync page. Default 5 000. */
  requestTimeoutMs?: number;
  /** How long a send or group request may take in all, waiting and retries included. Default 30 000. */
  sendTimeoutMs?: number;
  /** Reconnect delay before attempt n: random in [0, min(maxMs, initialMs * 2^n)]. Default 500 and 20 000. */
  backoff?: { initialMs?: number; maxMs?: number };
  /** Entries asked for per sync page. Default 100. */
  syncPageSize?: number;
  /** How long an entry after a gap waits for the missing ones before a sync fetches them. Default 100. */
  gapWaitMs?: number;
  /** Default: `globalThis.WebSocket`. In Node 20, pass the `ws` package's `WebSocket`. */
  WebSocket?: WebSocketConstructor;
  /** The jitter's random source in [0, 1). Default `Math.random`. */
  random?: () => number;
  /** Reconnect at once when the browser reports `online`, drop the connection on `offline`. Default `true` where `window` exists. */
  watchNetwork?: boolean;
  /** Receives exceptions thrown by event listeners. Default `console.error`. */
  onListenerError?: (error: unknown) => void;
}

type Timer = ReturnType<typeof setTimeout>;

const ACK_BATCH = 100;
const ACK_DELAY_MS = 100;
const LOGOUT_GRACE_MS = 1000;
const MAX_BUFFERED = 4096;
/** The largest request body a frame of the server's default limit (1 MiB) holds, with room for the header. */
const MAX_REQUEST_BODY = (1 << 20) - 1024;
const CLOSE_KICKED = 4003;
const OPEN = 1;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One WebSocket connection and what belongs to it. */
class Conn {
  ws!: WebSocketLike;
  nextSeq = 1;
  ready = false;
  ended = false;
  login?: LoginInfo;
  readonly inFlight = new Map<number, Op<unknown>>();
  syncRequest = 0;
  syncAfter = 0;
  lastSent = 0;
  lastReceived = 0;

  constructor(readonly address: string) {}

  /** Sends one request; `false` if the socket is not open. */
  send(command: number, body: Uint8Array): number {
    if (this.ws.readyState !== OPEN) return 0;
    const seq = this.nextSeq++;
    this.ws.send(request(command, seq, body));
    this.lastSent = Date.now();
    return seq;
  }
}

/** A request waiting for its answer, across attempts and connections. */
interface Op<T> {
  what: string;
  command: number;
  body: Uint8Array;
  /** Harmless to repeat: sent again after a timeout, a retryable status or a lost connection. */
  retryable: boolean;
  parse(body: Uint8Array): T;
  resolve(value: T): void;
  reject(error: unknown): void;
  promise: Promise<T>;
  conn?: Conn;
  attempts: number;
  done: boolean;
  attemptTimer?: Timer;
  retryTimer?: Timer;
  deadlineTimer?: Timer;
  clientMessageId?: string;
}

/**
 * Connects one user's device to a kim server over WebSocket: logs in, stays connected (heartbeats, reconnects with
 * backoff, fail-over), sends with safe retries, delivers the user's inbox in order and without duplicates, and
 * manages groups. See docs/web-sdk.md.
 *
 * All callbacks run on the page's event loop, one at a time. Nothing connects until {@link connect}.
 */
export class KimClient {
  private addresses: string[];
  private readonly router?: string;
  private readonly fetchFn?: FetchLike;
  /** Users watched with PRESENCE that the server accepted; watched again after each reconnect. */
  private readonly watching = new Set<string>();
  private loggedInBefore = false;
  /** Whether the router should be asked before the next attempt. */
  private routeStale = true;
  /** Counts attempts, so that one that waited for the router sees whether another one started meanwhile. */
  private attempts = 0;
  private readonly tokenSource: () => string | Promise<string>;
  private readonly storage: KimStorage;
  private readonly heartbeatMs: number;
  private readonly requestTimeoutMs: number;
  private readonly sendTimeoutMs: number;
  private readonly syncPageSize: number;
  private readonly gapWaitMs: number;
  private readonly backoff: Backoff;
  private readonly WS: WebSocketConstructor;
  private readonly onListenerError: (error: unknown) => void;
  private readonly listeners = new Map<keyof KimEvents, Set<(value: never) => void>>();

  private stateValue: ConnectionState = "new";
  private current?: Conn;
  private addressIndex = 0;
  private failures = 0;
  private reconnectTimer?: Timer;
  private heartbeatTimer?: ReturnType<typeof setInterval>;
  private gapTimer?: Timer;
  private syncTimer?: Timer;
  private ackTimer?: Timer;
  private syncInFlight = false;
  private unacked = 0;
  private ackedSequence = 0;
  private readonly sequencer = new Sequencer<KimMessage>(0, MAX_BUFFERED);
  private positionKey?: string;
  private epochValue = "";
  private loginInfo?: LoginInfo;
  private readonly ops = new Set<Op<unknown>>();
  private readonly sendsById = new Map<string, Op<SendResult>>();
  private connectPromise?: Promise<LoginInfo>;
  private connectResolve?: (info: LoginInfo) => void;
  private connectReject?: (error: unknown) => void;
  private terminalCause?: unknown;
  private closePromise?: Promise<void>;
  private closeResolve?: () => void;
  private readonly onOnline = (): void => this.networkUp();
  private readonly onOffline = (): void => this.networkDown();
  private readonly watchNetwork: boolean;

  constructor(options: KimClientOptions) {
    if (!options) throw new TypeError("options: missing");
    if (options.router !== undefined) {
      if (typeof options.router !== "string" || !/^https?:\/\//.test(options.router)) {
        throw new TypeError(`router: ${String(options.router)} (expected: an http:// or https:// URL)`);
      }
      if (options.addresses !== undefined) throw new TypeError("addresses and router: give one of them, not both");
      const f = options.fetch ?? (globalThis as { fetch?: FetchLike }).fetch;
      if (!f) throw new TypeError("fetch: none in this environment (expected: options.fetch)");
      this.router = options.router;
      this.fetchFn = f;
    } else {
      if (!Array.isArray(options.addresses) || options.addresses.length === 0) {
        throw new TypeError("addresses: missing (expected: at least one ws:// or wss:// URL, or a router URL)");
      }
      for (const a of options.addresses) checkWsUrl(a, "addresses");
    }
    const token = options.token;
    if (typeof token === "string") {
      if (token === "") throw new TypeError("token: empty (expected: a token or a function returning one)");
      this.tokenSource = () => token;
    } else if (typeof token === "function") {
      this.tokenSource = token;
    } else {
      throw new TypeError("token: missing (expected: a token or a function returning one)");
    }
    this.addresses = [...(options.addresses ?? [])];
    this.storage = options.storage ?? new MemoryStorage();
    this.heartbeatMs = nonNegative(options.heartbeatMs, 30_000, "heartbeatMs");
    this.requestTimeoutMs = positive(options.requestTimeoutMs, 5_000, "requestTimeoutMs");
    this.sendTimeoutMs = positive(options.sendTimeoutMs, 30_000, "sendTimeoutMs");
    this.syncPageSize = positive(options.syncPageSize, 100, "syncPageSize");
    this.gapWaitMs = nonNegative(options.gapWaitMs, 100, "gapWaitMs");
    this.backoff = new Backoff(options.backoff?.initialMs ?? 500, options.backoff?.maxMs ?? 20_000,
      options.random ?? Math.random);
    const WS = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!WS) throw new TypeError("WebSocket: none in this environment (expected: options.WebSocket, e.g. the ws package's)");
    this.WS = WS;
    this.onListenerError = options.onListenerError ?? ((e) => console.error("kim: an event listener threw", e));
    const g = globalThis as { addEventListener?: (t: string, f: () => void) => void; window?: unknown };
    this.watchNetwork = (options.watchNetwork ?? g.window !== undefined) && typeof g.addEventListener === "function";
  }

  // ---- public API ----------------------------------------------------------------------------------------

  /** The connection state. */
  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The last inbox sequence delivered to `message` listeners (0 before any). */
  get lastSequence(): number {
    return this.sequencer.last;
  }

  /** The epoch of the inbox {@link lastSequence} belongs to; empty before the first login. */
  get epoch(): string {
    return this.epochValue;
  }

  /** The last successful login, if any. */
  get login(): LoginInfo | undefined {
    return this.loginInfo;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof KimEvents>(event: K, listener: (value: KimEvents[K]) => void): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(listener as (value: never) => void);
    return () => this.off(event, listener);
  }

  off<K extends keyof KimEvents>(event: K, listener: (value: KimEvents[K]) => void): void {
    this.listeners.get(event)?.delete(listener as (value: never) => void);
  }

  /**
   * Starts connecting. The promise resolves once logged in and every inbox entry after the last sequence has been
   * delivered; network failures are retried for as long as it takes. It rejects with a {@link KimStatusError} if
   * the login is refused (`UNAUTHORIZED`, `LOGIN_REJECTED`: the client is then closed), or a
   * {@link KimClientError} if the client is closed or kicked first. Calling it again returns the same promise.
   */
  connect(): Promise<LoginInfo> {
    if (this.connectPromise) return this.connectPromise;
    this.connectPromise = new Promise<LoginInfo>((resolve, reject) => {
      this.connectResolve = resolve;
      this.connectReject = reject;
    });
    this.connectPromise.catch(() => undefined);
    if (this.terminalCause !== undefined) {
      this.connectReject?.(this.terminalCause);
      return this.connectPromise;
    }
    if (this.watchNetwork) {
      const g = globalThis as unknown as { addEventListener(t: string, f: () => void): void };
      g.addEventListener("online", this.onOnline);
      g.addEventListener("offline", this.onOffline);
    }
    this.setState("connecting");
    void this.attempt();
    return this.connectPromise;
  }

  /**
   * Sends a message and resolves with its acknowledgement (the message is stored). Retries under the same client
   * message id after a timeout, a lost connection, `UNAVAILABLE` or `RATE_LIMITED`; rejects with a
   * {@link KimStatusError} for a refusal, a {@link KimTimeoutError} after `sendTimeoutMs`, a {@link KimClientError}
   * if the client is closed or kicked first. Sends made before `connect()` or while reconnecting wait.
   */
  send(target: string, content: string | Uint8Array, options: SendOptions = {}): Promise<SendResult> {
    if (typeof target !== "string" || target === "" || target.length > 128) {
      return Promise.reject(new TypeError(`target: ${JSON.stringify(target)} (expected: 1-128 characters)`));
    }
    const clientMessageId = options.clientMessageId ?? randomId();
    if (typeof clientMessageId !== "string" || clientMessageId === "" || clientMessageId.length > 128) {
      return Promise.reject(new TypeError("clientMessageId: expected 1-128 characters"));
    }
    const chatType: ChatKind = options.chatType ?? "user";
    if (chatType !== "user" && chatType !== "group") {
      return Promise.reject(new TypeError(`chatType: ${String(chatType)} (expected: "user" or "group")`));
    }
    const body = typeof content === "string" ? encoder.encode(content) : content;
    const contentType = options.contentType
      ?? (typeof content === "string" ? "text/plain; charset=utf-8" : "application/octet-stream");
    const pending = this.sendsById.get(clientMessageId);
    if (pending && !pending.done) return pending.promise;
    const req = pb.SendRequest.encode({
      chatType: chatType === "group" ? pb.TargetType.CHAT_GROUP : pb.TargetType.CHAT_USER,
      target, clientMessageId, contentType, body,
    }).finish();
    const op = this.newOp<SendResult>("send", Command.SEND, req, true, (b) => {
      const r = pb.SendResponse.decode(b);
      const result: SendResult = {
        messageId: r.messageId, clientMessageId, timestamp: num(r.timestamp), sequence: num(r.sequence),
        duplicate: r.duplicate,
      };
      this.ownMessage(result, chatType, target, contentType, body);
      return result;
    });
    op.clientMessageId = clientMessageId;
    this.sendsById.set(clientMessageId, op);
    return this.enqueue(op);
  }

  /** {@link send} to a group. */
  sendToGroup(groupId: string, content: string | Uint8Array, options: Omit<SendOptions, "chatType"> = {}): Promise<SendResult> {
    return this.send(groupId, content, { ...options, chatType: "group" });
  }

  /** Creates a group owned by this user. Sent at most once (see docs/web-sdk.md). */
  createGroup(group: NewGroup): Promise<GroupInfo> {
    if (group.joinPolicy !== undefined && !["invite-only", "open", "approval"].includes(group.joinPolicy)) {
      return Promise.reject(new TypeError(`joinPolicy: ${String(group.joinPolicy)} (expected: "invite-only", "open" or "approval")`));
    }
    const body = pb.GroupCreateRequest.encode({
      groupId: group.groupId ?? "", name: group.name, avatar: group.avatar ?? "",
      introduction: group.introduction ?? "", members: group.members ?? [],
      joinPolicy: joinPolicyNumber(group.joinPolicy ?? "invite-only"),
    }).finish();
    return this.enqueue(this.newOp("createGroup", Command.GROUP_CREATE, body, false, groupInfo));
  }

  /** The group's profile; retried like a send. */
  group(groupId: string): Promise<GroupInfo> {
    return this.enqueue(this.newOp("group", Command.GROUP_GET, groupBody(groupId), true, groupInfo));
  }

  /**
   * Joins a group: at once for an `"open"` group, as a join request the owner approves for an `"approval"` one
   * (`pending: true`); `FORBIDDEN` for an `"invite-only"` one. Joining again changes nothing. Retried like a send.
   */
  joinGroup(groupId: string): Promise<{ pending: boolean }> {
    return this.enqueue(this.newOp("joinGroup", Command.GROUP_JOIN, groupBody(groupId), true,
      (b) => ({ pending: pb.GroupJoinResponse.decode(b).pending })));
  }

  /**
   * Adds users to a group (any member may, under every policy); members already are skipped. Resolves with the
   * users that became members. Retried like a send.
   */
  addGroupMembers(groupId: string, userIds: string[]): Promise<string[]> {
    return this.membersChange("addGroupMembers", Command.GROUP_ADD, groupId, userIds);
  }

  /**
   * Accepts join requests (the owner of an `"approval"` group only); users without a request are skipped.
   * Resolves with the users that became members. Retried like a send.
   */
  approveJoinRequests(groupId: string, userIds: string[]): Promise<string[]> {
    return this.membersChange("approveJoinRequests", Command.GROUP_APPROVE, groupId, userIds);
  }

  /** The users whose join requests wait for approval; only the owner sees them. Retried like a send. */
  groupJoinRequests(groupId: string): Promise<string[]> {
    return this.enqueue(this.newOp("groupJoinRequests", Command.GROUP_MEMBERS, groupBody(groupId), true,
      (b) => [...pb.GroupMembers.decode(b).joinRequests]));
  }

  private membersChange(what: string, command: number, groupId: string, userIds: string[]): Promise<string[]> {
    if (!Array.isArray(userIds) || userIds.length === 0 || userIds.length > 100
      || userIds.some((u) => typeof u !== "string" || u.trim() === "" || u.length > 128)) {
      return Promise.reject(new TypeError("userIds: expected 1 to 100 user ids of 1-128 characters"));
    }
    const body = pb.GroupMembersChange.encode({ groupId, userIds }).finish();
    return this.enqueue(this.newOp(what, command, body, true, (b) => [...pb.GroupMembers.decode(b).members]));
  }

  /** Leaves a group (not for the owner). Sent at most once. */
  quitGroup(groupId: string): Promise<void> {
    return this.enqueue(this.newOp("quitGroup", Command.GROUP_QUIT, groupBody(groupId), false, () => undefined));
  }

  /** The members, the owner first (members only). Retried like a send. */
  groupMembers(groupId: string): Promise<string[]> {
    return this.enqueue(this.newOp("groupMembers", Command.GROUP_MEMBERS, groupBody(groupId), true,
      (b) => [...pb.GroupMembers.decode(b).members]));
  }

  /** Dissolves a group (the owner only). Sent at most once. */
  dissolveGroup(groupId: string): Promise<void> {
    return this.enqueue(this.newOp("dissolveGroup", Command.GROUP_DISSOLVE, groupBody(groupId), false, () => undefined));
  }

  /** A page of this user's conversations, newest first (`beforeSequence` 0: from the newest). Retried like a send. */
  conversations(beforeSequence = 0, limit = 0): Promise<{ conversations: ConversationSummary[]; hasMore: boolean }> {
    const body = pb.ConversationsRequest.encode({ beforeSequence, limit }).finish();
    return this.enqueue(this.newOp("conversations", Command.CONVERSATIONS, body, true, (b) => {
      const r = pb.ConversationsResponse.decode(b);
      return { conversations: r.conversations.map(summary), hasMore: r.hasMore };
    }));
  }

  /** Marks a conversation read up to the inbox entry `sequence` (a message of it); one-to-one: sends a read receipt. */
  markRead(chatType: ChatKind, target: string, sequence: number): Promise<ConversationSummary> {
    const body = pb.ReadRequest.encode({ chatType: chatType === "group" ? pb.TargetType.CHAT_GROUP : pb.TargetType.CHAT_USER,
      target, sequence }).finish();
    return this.enqueue(this.newOp("markRead", Command.READ, body, true,
      (b) => summary(pb.ReadResponse.decode(b).conversation ?? {})));
  }

  /** Recalls a message (its sequence in this user's inbox and its id). Sent at most once. */
  recall(sequence: number, messageId: string): Promise<void> {
    const body = pb.RecallRequest.encode({ sequence, messageId }).finish();
    return this.enqueue(this.newOp("recall", Command.RECALL, body, false, () => undefined));
  }

  /** Replaces the content of a message this user sent; resolves with its new version. Sent at most once. */
  edit(sequence: number, messageId: string, contentType: string, body: Uint8Array | string): Promise<number> {
    const bytes = typeof body === "string" ? new TextEncoder().encode(body) : body;
    const req = pb.EditRequest.encode({ sequence, messageId, contentType, body: bytes }).finish();
    return this.enqueue(this.newOp("edit", Command.EDIT, req, false, (b) => pb.EditResponse.decode(b).version));
  }

  /**
   * Watches users' presence: resolves with the state now of each user in `subscribe`, and from then on emits
   * `presence` on every change, across reconnects (the client watches them again after each one and emits their
   * state then). `unsubscribe` stops watching. The server bounds the users watched per connection. Retried like a send.
   */
  watchPresence(subscribe: string[], unsubscribe: string[] = []): Promise<Array<{ userId: string; online: boolean; lastSeen: number }>> {
    if (![...subscribe, ...unsubscribe].every((u) => typeof u === "string" && u.trim() !== "" && u.length <= 128)) {
      return Promise.reject(new TypeError("subscribe, unsubscribe: expected user ids of 1-128 characters"));
    }
    const body = pb.PresenceRequest.encode({ subscribe, unsubscribe }).finish();
    return this.enqueue(this.newOp("watchPresence", Command.PRESENCE, body, true, (b) => {
      for (const u of unsubscribe) this.watching.delete(u);
      for (const u of subscribe) this.watching.add(u);
      return pb.PresenceResponse.decode(b).presences.map(presenceOf);
    }));
  }

  /** After a reconnect the new connection watches nobody: ask again, and emit each watched user's state now. */
  private watchAgain(): void {
    if (this.watching.size === 0) return;
    const body = pb.PresenceRequest.encode({ subscribe: [...this.watching] }).finish();
    void this.enqueue(this.newOp("watchPresence", Command.PRESENCE, body, true, (b) => {
      for (const p of pb.PresenceResponse.decode(b).presences) {
        this.emit("presence", presenceOf(p));
      }
    })).catch(() => undefined); // closed or refused: nothing more to do
  }

  /** Tells the peer (or the group) that this user is typing; never stored, throttled by the server. */
  typing(chatType: ChatKind, target: string): Promise<void> {
    const body = pb.TypingRequest.encode({ chatType: chatType === "group" ? pb.TargetType.CHAT_GROUP : pb.TargetType.CHAT_USER,
      target }).finish();
    return this.enqueue(this.newOp("typing", Command.TYPING, body, false, () => undefined));
  }

  /**
   * Logs out politely (acknowledges the last delivered entry, sends LOGOUT, gives the server up to a second to
   * close), stops reconnecting and rejects everything pending. Idempotent; resolves when the socket is closed.
   */
  close(): Promise<void> {
    this.terminate("closed", new KimClientError("the client was closed"), undefined, true);
    return this.closePromise ?? Promise.resolve();
  }

  // ---- connecting ----------------------------------------------------------------------------------------

  private async attempt(): Promise<void> {
    this.reconnectTimer = undefined;
    if (this.isTerminal()) return;
    const generation = ++this.attempts;
    if (this.router && this.routeStale) {
      const routed = await this.askRouter();
      if (generation !== this.attempts || this.current || this.isTerminal()) return; // closed, or another attempt
      if (!routed && this.addresses.length === 0) {
        this.failures++;
        this.scheduleReconnect();
        return;
      }
    }
    const c = new Conn(this.addresses[this.addressIndex]!);
    this.current = c;
    const timer = setTimeout(() => this.attemptFailed(c, new KimTimeoutError("connect and login timed out")),
      this.requestTimeoutMs);
    let token: string;
    try {
      token = await this.tokenSource();
      if (typeof token !== "string" || token === "") throw new TypeError("the token function returned no token");
    } catch (e) {
      clearTimeout(timer);
      this.attemptFailed(c, e);
      return;
    }
    if (c !== this.current || c.ended || this.isTerminal()) {
      clearTimeout(timer);
      return;
    }
    let ws: WebSocketLike;
    try {
      ws = new this.WS(c.address);
    } catch (e) {
      clearTimeout(timer);
      this.attemptFailed(c, e);
      return;
    }
    c.ws = ws;
    ws.binaryType = "arraybuffer";
    ws.onopen = () => {
      c.lastReceived = Date.now();
      c.send(Command.LOGIN, pb.LoginRequest.encode({ token }).finish());
    };
    ws.onmessage = (ev) => {
      if (!(ev.data instanceof ArrayBuffer)) return; // kim servers send binary frames only
      const bytes = new Uint8Array(ev.data);
      c.lastReceived = Date.now();
      if (c.ended) return;
      if (!c.ready) {
        clearTimeout(timer);
        this.onLoginAnswer(c, bytes);
      } else {
        this.onPacket(c, bytes);
      }
    };
    ws.onerror = () => undefined; // a close follows
    ws.onclose = (ev) => {
      clearTimeout(timer);
      if (c.ready) {
        this.closed(c, ev.code, ev.reason);
      } else {
        this.attemptFailed(c, new KimClientError(`connection closed before login (${ev.code} ${ev.reason})`), ev.code);
      }
    };
  }

  private onLoginAnswer(c: Conn, bytes: Uint8Array): void {
    let h: Header;
    let body: Uint8Array;
    try {
      ({ header: h, body } = decode(bytes));
    } catch {
      this.attemptFailed(c, new KimClientError("malformed login answer"));
      return;
    }
    if (h.command !== Command.LOGIN || h.flag !== Flag.RESPONSE) {
      this.attemptFailed(c, new KimClientError(`expected a LOGIN response, got ${Command[h.command]} ${statusName(h.status)}`));
      return;
    }
    if (h.status !== Status.OK) {
      this.attemptFailed(c, new KimStatusError("login", statusName(h.status), h.status, h.statusMessage));
      return;
    }
    const r = pb.LoginResponse.decode(body);
    c.login = {
      channelId: r.channelId, tenant: r.tenant, userId: r.userId, deviceId: r.deviceId, deviceType: r.deviceType,
      headSequence: num(r.headSequence), serverTime: num(r.serverTime), inboxEpoch: r.inboxEpoch,
    };
    this.loggedIn(c);
  }

  private attemptFailed(c: Conn, error: unknown, closeCode?: number): void {
    if (c.ended) return;
    c.ended = true;
    closeQuietly(c);
    if (c !== this.current || this.isTerminal()) return;
    this.current = undefined;
    if (error instanceof KimStatusError && (error.status === "UNAUTHORIZED" || error.status === "LOGIN_REJECTED")) {
      this.terminate("closed", error, undefined, false);
      return;
    }
    if (closeCode === CLOSE_KICKED) {
      this.kicked("kicked");
      return;
    }
    this.failures++;
    if (this.addresses.length > 1) this.addressIndex = (this.addressIndex + 1) % this.addresses.length;
    if (this.addressIndex === 0) this.routeStale = true; // a whole round failed: ask the router again
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    const n = Math.max(1, this.addresses.length);
    // Fail over to the next address at once; back off only after a whole round failed.
    const delay = n > 1 && this.failures % n !== 0 ? 0 : this.backoff.delayMs(Math.floor(this.failures / n));
    this.reconnectTimer = setTimeout(() => void this.attempt(), delay);
  }

  /**
   * Asks the router for the gateways; on success they become the addresses, in the router's order. Never throws:
   * on failure the addresses stay as they were (and the router is asked again before the next attempt).
   */
  private async askRouter(): Promise<boolean> {
    const abort = typeof AbortController === "function" ? new AbortController() : undefined;
    const timer = setTimeout(() => abort?.abort(), this.requestTimeoutMs);
    try {
      const r = await this.fetchFn!(this.router!, { signal: abort?.signal, headers: { accept: "application/json" } });
      if (!r.ok) return false;
      const body = (await r.json()) as { gateways?: Array<{ ws?: unknown }> } | null;
      const list = (Array.isArray(body?.gateways) ? body!.gateways : [])
        .map((g) => g?.ws)
        .filter((w): w is string => typeof w === "string" && /^wss?:\/\//.test(w));
      if (list.length === 0) return false;
      this.addresses = list;
      this.addressIndex = 0;
      this.routeStale = false;
      return true;
    } catch {
      return false; // unreachable, timed out, or not JSON
    } finally {
      clearTimeout(timer);
    }
  }

  private loggedIn(c: Conn): void {
    if (c !== this.current || this.isTerminal()) {
      closeQuietly(c);
      return;
    }
    const info = c.login!;
    c.ready = true;
    this.failures = 0;
    this.loginInfo = info;
    const key = `${info.tenant}/${info.userId}`;
    if (this.positionKey !== key) {
      this.positionKey = key;
      const saved = this.storage.load(key);
      this.sequencer.clear();
      this.sequencer.reset(saved?.lastSequence ?? 0);
      this.epochValue = saved?.epoch ?? "";
      this.ackedSequence = 0;
    }
    this.checkEpoch(info.inboxEpoch);
    this.setState("online");
    this.startHeartbeat(c);
    this.requestSync();
    if (this.loggedInBefore) this.watchAgain();
    this.loggedInBefore = true;
    for (const op of [...this.ops]) {
      if (!op.conn && !op.done && !op.retryTimer) this.transmit(c, op);
    }
  }

  /** Adopts the server's epoch; a different one than saved means the inbox was recreated: start over from 0. */
  private checkEpoch(epoch: string): boolean {
    if (!epoch || epoch === this.epochValue) return false;
    const previousEpoch = this.epochValue;
    this.epochValue = epoch;
    if (previousEpoch === "") {
      this.savePosition();
      return false;
    }
    this.sequencer.clear();
    this.sequencer.reset(0);
    this.ackedSequence = 0;
    this.unacked = 0;
    this.savePosition();
    this.emit("reset", { previousEpoch, epoch });
    return true;
  }

  private closed(c: Conn, code: number, reason: string): void {
    if (c.ended) return;
    c.ended = true;
    closeQuietly(c);
    if (c !== this.current) return;
    this.current = undefined;
    this.stopHeartbeat();
    for (const op of c.inFlight.values()) {
      if (op.conn !== c || op.done) continue;
      op.conn = undefined;
      op.attemptTimer = clear(op.attemptTimer);
      if (!op.retryable) {
        this.fail(op, new KimClientError(`${op.what}: the connection was lost before the answer; it may or may not have taken effect`));
      }
    }
    c.inFlight.clear();
    this.syncInFlight = false;
    this.syncTimer = clear(this.syncTimer);
    if (this.isTerminal()) return;
    if (code === CLOSE_KICKED) {
      this.kicked(reason || "kicked");
      return;
    }
    this.setState("reconnecting");
    this.failures = 0;
    this.routeStale = true; // the node may be gone: ask the router again
    this.scheduleReconnect();
  }

  private kicked(reason: string): void {
    if (this.isTerminal()) return;
    this.terminate("kicked", new KimClientError(`kicked: ${reason}`), reason, false);
  }

  private terminate(terminal: "kicked" | "closed", cause: unknown, kickReason: string | undefined, logout: boolean): void {
    if (this.isTerminal() || this.terminalCause !== undefined) return;
    this.terminalCause = cause;
    this.stateValue = terminal;
    this.reconnectTimer = clear(this.reconnectTimer);
    this.gapTimer = clear(this.gapTimer);
    this.ackTimer = clear(this.ackTimer);
    this.syncTimer = clear(this.syncTimer);
    this.stopHeartbeat();
    if (this.watchNetwork) {
      const g = globalThis as unknown as { removeEventListener(t: string, f: () => void): void };
      g.removeEventListener("online", this.onOnline);
      g.removeEventListener("offline", this.onOffline);
    }
    this.connectReject?.(cause);
    for (const op of [...this.ops]) this.fail(op, cause);
    this.ops.clear();
    this.sendsById.clear();
    if (kickReason !== undefined) this.emit("kicked", { reason: kickReason });
    this.emit("state", terminal);
    const c = this.current;
    this.current = undefined;
    if (!c || !c.ws || c.ended) {
      this.closePromise = Promise.resolve();
      return;
    }
    this.closePromise = new Promise<void>((resolve) => (this.closeResolve = resolve));
    const ws = c.ws;
    let grace: Timer | undefined;
    ws.onclose = () => {
      clear(grace);
      this.closeResolve?.();
    };
    ws.onmessage = null;
    if (logout && c.ready && ws.readyState === OPEN) {
      const last = this.sequencer.last;
      if (last > this.ackedSequence) c.send(Command.ACK, pb.AckRequest.encode({ sequence: last }).finish());
      c.send(Command.LOGOUT, new Uint8Array(0));
      grace = setTimeout(() => {
        closeQuietly(c);
        this.closeResolve?.();
      }, Math.min(LOGOUT_GRACE_MS, this.requestTimeoutMs));
    } else {
      closeQuietly(c);
      if (ws.readyState !== OPEN && ws.readyState !== 0) this.closeResolve?.();
    }
    c.ended = true;
  }

  private isTerminal(): boolean {
    return this.stateValue === "closed" || this.stateValue === "kicked";
  }

  private setState(next: ConnectionState): void {
    if (this.stateValue === next) return;
    this.stateValue = next;
    this.emit("state", next);
  }

  private networkDown(): void {
    const c = this.current;
    if (c && c.ready && !c.ended) this.closed(c, 1006, "the network went offline");
  }

  private networkUp(): void {
    if (this.reconnectTimer !== undefined && !this.isTerminal()) {
      this.reconnectTimer = clear(this.reconnectTimer);
      this.failures = 0;
      void this.attempt();
    }
  }

  /** Emits a server notice (`kim/read`, `kim/recall`, `kim/edit`) as its own event; `false` if `m` is none. */
  private notice(m: KimMessage): boolean {
    try {
      switch (m.contentType) {
        case "kim/read": {
          const r = pb.ReadReceipt.decode(m.body);
          this.emit("read", { sequence: m.sequence, readerId: m.senderId, readerDevice: m.senderDevice, peerId: m.target,
            messageId: r.messageId, timestamp: num(r.timestamp), readerSequence: num(r.readerSequence) });
          return true;
        }
        case "kim/recall": {
          const r = pb.RecallNotice.decode(m.body);
          this.emit("recalled", { sequence: m.sequence, messageId: r.messageId, recalledBy: m.senderId, chatType: m.chatType,
            target: m.target });
          return true;
        }
        case "kim/edit": {
          const e = pb.EditNotice.decode(m.body);
          const n: EditNotice = { sequence: m.sequence, messageId: e.messageId, version: e.version, contentType: e.contentType,
            body: e.body, chatType: m.chatType, target: m.target };
          if (e.contentType.startsWith("text")) n.text = decoder.decode(e.body);
          this.emit("edited", n);
          return true;
        }
        default:
          return false;
      }
    } catch {
      return false; // malformed: delivered as the message it is
    }
  }

  private startHeartbeat(c: Conn): void {
    this.stopHeartbeat();
    if (this.heartbeatMs === 0) return;
    this.heartbeatTimer = setInterval(() => {
      if (c !== this.current || c.ended) return;
      const now = Date.now();
      if (now - c.lastReceived >= 3 * this.heartbeatMs) {
        this.closed(c, 1006, "no answer to heartbeats");
        return;
      }
      if (now - c.lastSent >= this.heartbeatMs - 1) c.send(Command.HEARTBEAT, new Uint8Array(0));
    }, this.heartbeatMs);
  }

  private stopHeartbeat(): void {
    if (this.heartbeatTimer !== undefined) clearInterval(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  // ---- inbound -------------------------------------------------------------------------------------------

  private onPacket(c: Conn, bytes: Uint8Array): void {
    if (c !== this.current) return;
    try {
      const { header: h, body } = decode(bytes);
      if (h.flag === Flag.PUSH) {
        this.onPush(h, body);
      } else if (h.flag === Flag.RESPONSE) {
        if (h.command === Command.SYNC) this.onSyncResponse(c, h, body);
        else if (c.inFlight.has(h.sequence)) this.onOpResponse(c, h, body);
      }
    } catch {
      // a malformed packet: ignored, the protocol's answers to it (if any) come by sequence
    }
  }

  private onPush(h: Header, body: Uint8Array): void {
    switch (h.command) {
      case Command.MESSAGE: {
        const push = pb.MessagePush.decode(body);
        if (push.message) this.offer(num(push.sequence), push.message);
        this.afterOffer();
        break;
      }
      case Command.KICK: {
        const kick = pb.KickPush.decode(body);
        this.kicked(kick.reason || "kicked");
        break;
      }
      case Command.GROUP_EVENT: {
        const e = pb.GroupEventPush.decode(body);
        const kind = (["created", "joined", "quit", "dissolved", "joinRequested"] as const)[e.kind];
        if (kind) this.emit("group", { kind, groupId: e.groupId, userId: e.userId });
        break;
      }
      case Command.TYPING: {
        const t = pb.TypingPush.decode(body);
        this.emit("typing", { senderId: t.senderId, senderDevice: t.senderDevice,
          chatType: t.chatType === pb.TargetType.CHAT_GROUP ? "group" : "user", target: t.target });
        break;
      }
      case Command.PRESENCE: {
        const p = pb.UserPresence.decode(body);
        this.emit("presence", { userId: p.userId, online: p.online, lastSeen: num(p.lastSeen) });
        break;
      }
      default:
        break;
    }
  }

  private offer(sequence: number, m: ChatMessageFields): void {
    const chatType: ChatKind = m.chatType === pb.TargetType.CHAT_GROUP ? "group" : "user";
    this.sequencer.offer(sequence, toMessage(sequence, m.messageId ?? "", m.senderId ?? "", m.senderDevice ?? "",
      chatType, m.target ?? "", m.clientMessageId ?? "", m.contentType ?? "", m.body ?? new Uint8Array(0),
      num(m.timestamp)), (s, v) => this.deliver(s, v));
  }

  /** The acknowledged own message is an entry of the sender's inbox too: delivered in order like the others. */
  private ownMessage(r: SendResult, chatType: ChatKind, target: string, contentType: string, body: Uint8Array): void {
    const me = this.loginInfo;
    if (!me || r.sequence <= 0) return;
    this.sequencer.offer(r.sequence, toMessage(r.sequence, r.messageId, me.userId, me.deviceId, chatType, target,
      r.clientMessageId, contentType, body, r.timestamp), (s, v) => this.deliver(s, v));
    this.afterOffer();
  }

  private deliver(sequence: number, message: KimMessage): void {
    this.savePosition();
    if (!this.notice(message)) this.emit("message", message);
    if (++this.unacked >= ACK_BATCH) {
      this.sendAck();
    } else if (this.ackTimer === undefined) {
      this.ackTimer = setTimeout(() => {
        this.ackTimer = undefined;
        this.sendAck();
      }, ACK_DELAY_MS);
    }
    void sequence;
  }

  private savePosition(): void {
    if (this.positionKey) {
      this.storage.save(this.positionKey, { lastSequence: this.sequencer.last, epoch: this.epochValue });
    }
  }

  private afterOffer(): void {
    if (!this.sequencer.hasGap) {
      this.gapTimer = clear(this.gapTimer);
      return;
    }
    if (this.sequencer.isFull) {
      this.requestSync();
    } else if (this.gapTimer === undefined && !this.syncInFlight) {
      // Pushes of concurrent appends may overtake each other: give the missing one a moment first.
      this.gapTimer = setTimeout(() => {
        this.gapTimer = undefined;
        if (this.sequencer.hasGap) this.requestSync();
      }, this.gapWaitMs);
    }
  }

  private requestSync(): void {
    const c = this.current;
    if (!c || !c.ready || this.syncInFlight) return;
    this.gapTimer = clear(this.gapTimer);
    const after = this.sequencer.last;
    const seq = c.send(Command.SYNC, pb.SyncRequest.encode({ afterSequence: after, limit: this.syncPageSize }).finish());
    if (!seq) return;
    this.syncInFlight = true;
    c.syncRequest = seq;
    c.syncAfter = after;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = undefined;
      if (c === this.current && c.syncRequest === seq) {
        c.syncRequest = 0;
        this.syncInFlight = false;
        this.requestSync();
      }
    }, this.requestTimeoutMs);
  }

  private onSyncResponse(c: Conn, h: Header, body: Uint8Array): void {
    const mine = c.syncRequest !== 0 && h.sequence === c.syncRequest;
    if (mine) {
      c.syncRequest = 0;
      this.syncInFlight = false;
      this.syncTimer = clear(this.syncTimer);
    }
    if (h.status !== Status.OK) {
      if (mine) this.retrySyncLater();
      return;
    }
    const r = pb.SyncResponse.decode(body);
    if (this.checkEpoch(r.inboxEpoch)) {
      this.requestSync(); // the page answered a question about the old inbox: ask again from 0
      return;
    }
    const before = this.sequencer.last;
    const oldest = num(r.oldestSequence);
    if (r.truncated && oldest - 1 > before) {
      const from = before + 1;
      const to = oldest - 1;
      this.sequencer.reset(to);
      this.savePosition();
      this.emit("expired", { from, to });
      this.sequencer.drain((s, v) => this.deliver(s, v));
    }
    for (const e of r.entries) {
      if (e.message) this.offer(num(e.sequence), e.message);
    }
    if (!mine) {
      this.afterOffer(); // the late answer of a sync we gave up on: its entries are good all the same
      return;
    }
    if (r.hasMore) {
      if (this.sequencer.last > c.syncAfter) this.requestSync();
      else this.retrySyncLater();
      return;
    }
    this.caughtUp();
  }

  private retrySyncLater(): void {
    if (this.gapTimer !== undefined) return;
    this.gapTimer = setTimeout(() => {
      this.gapTimer = undefined;
      this.requestSync();
    }, Math.max(this.gapWaitMs, this.backoff.capMs(0)));
  }

  private caughtUp(): void {
    const info = this.loginInfo;
    if (info) {
      if (this.connectResolve) {
        this.connectResolve(info);
        this.connectResolve = undefined;
      }
      this.emit("synced", info);
    }
    this.sendAck();
    this.afterOffer();
  }

  private sendAck(): void {
    this.ackTimer = clear(this.ackTimer);
    const c = this.current;
    const last = this.sequencer.last;
    if (!c || !c.ready || last <= this.ackedSequence) return;
    if (c.send(Command.ACK, pb.AckRequest.encode({ sequence: last }).finish())) {
      this.ackedSequence = last;
      this.unacked = 0;
    }
  }

  // ---- requests ------------------------------------------------------------------------------------------

  private newOp<T>(what: string, command: number, body: Uint8Array, retryable: boolean, parse: (b: Uint8Array) => T): Op<T> {
    let resolve!: (v: T) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { what, command, body, retryable, parse, resolve, reject, promise, attempts: 0, done: false };
  }

  private enqueue<T>(op: Op<T>): Promise<T> {
    if (this.terminalCause !== undefined) {
      this.fail(op as Op<unknown>, this.terminalCause);
      return op.promise;
    }
    if (op.body.length > MAX_REQUEST_BODY) {
      // the server would close the connection for the frame (1009), and every retry would meet the same fate
      this.fail(op as Op<unknown>, new KimStatusError(op.what, "TOO_LARGE", Status.TOO_LARGE,
        `the request is ${op.body.length} bytes; a frame holds at most ${MAX_REQUEST_BODY} bytes of it`));
      return op.promise;
    }
    const o = op as Op<unknown>;
    this.ops.add(o);
    op.deadlineTimer = setTimeout(() => this.fail(o, new KimTimeoutError(`${op.what}: not answered within ${this.sendTimeoutMs} ms`)),
      this.sendTimeoutMs);
    const c = this.current;
    if (c && c.ready && !c.ended) this.transmit(c, o);
    return op.promise;
  }

  private transmit(c: Conn, op: Op<unknown>): void {
    op.retryTimer = undefined;
    if (op.done) return;
    const seq = c.send(op.command, op.body);
    if (!seq) return; // closing: sent again after the next login
    op.attempts++;
    op.conn = c;
    c.inFlight.set(seq, op);
    op.attemptTimer = clear(op.attemptTimer);
    op.attemptTimer = setTimeout(() => {
      op.attemptTimer = undefined;
      if (op.done || op.conn !== c) return;
      if (!op.retryable) {
        this.fail(op, new KimTimeoutError(`${op.what}: not answered within ${this.requestTimeoutMs} ms; it may or may not have taken effect`));
      } else if (c === this.current && c.ready && !c.ended) {
        this.transmit(c, op); // same body, same client message id; a late answer to the first attempt counts too
      } else {
        op.conn = undefined;
      }
    }, this.requestTimeoutMs);
  }

  private onOpResponse(c: Conn, h: Header, body: Uint8Array): void {
    const op = c.inFlight.get(h.sequence)!;
    c.inFlight.delete(h.sequence);
    if (op.done) return;
    op.attemptTimer = clear(op.attemptTimer);
    if (h.status === Status.OK) {
      let value: unknown;
      try {
        value = op.parse(body);
      } catch (e) {
        this.fail(op, new KimClientError(`${op.what}: malformed answer (${String(e)})`));
        return;
      }
      this.finish(op);
      op.resolve(value);
    } else if (op.retryable && (h.status === Status.UNAVAILABLE || h.status === Status.RATE_LIMITED)) {
      op.conn = undefined;
      op.retryTimer = setTimeout(() => {
        op.retryTimer = undefined;
        const cur = this.current;
        if (cur && cur.ready && !cur.ended) this.transmit(cur, op);
      }, this.backoff.delayMs(op.attempts));
    } else {
      this.fail(op, new KimStatusError(op.what, statusName(h.status), h.status, h.statusMessage));
    }
  }

  private finish(op: Op<unknown>): void {
    op.done = true;
    op.attemptTimer = clear(op.attemptTimer);
    op.retryTimer = clear(op.retryTimer);
    op.deadlineTimer = clear(op.deadlineTimer);
    this.ops.delete(op);
    if (op.clientMessageId && this.sendsById.get(op.clientMessageId) === op) this.sendsById.delete(op.clientMessageId);
  }

  private fail(op: Op<unknown>, error: unknown): void {
    if (op.done) return;
    this.finish(op);
    op.reject(error);
  }

  private emit<K extends keyof KimEvents>(event: K, value: KimEvents[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const l of [...set]) {
      try {
        (l as (v: KimEvents[K]) => void)(value);
      } catch (e) {
        this.onListenerError(e);
      }
    }
  }
}

function toMessage(sequence: number, messageId: string, senderId: string, senderDevice: string, chatType: ChatKind,
  target: string, clientMessageId: string, contentType: string, body: Uint8Array, timestamp: number): KimMessage {
  const m: KimMessage = { sequence, messageId, senderId, senderDevice, chatType, target, clientMessageId, contentType, body, timestamp };
  if (contentType.startsWith("text")) m.text = decoder.decode(body);
  return m;
}

function summary(c: ConversationFields): ConversationSummary {
  const s: ConversationSummary = {
    chatType: c.chatType === pb.TargetType.CHAT_GROUP ? "group" : "user", peer: c.peer ?? "",
    lastSequence: num(c.lastSequence ?? 0), lastTimestamp: num(c.lastTimestamp ?? 0),
    readSequence: num(c.readSequence ?? 0), unread: num(c.unread ?? 0),
  };
  const m = c.lastMessage;
  if (m) {
    s.lastMessage = toMessage(s.lastSequence, m.messageId ?? "", m.senderId ?? "", m.senderDevice ?? "",
      m.chatType === pb.TargetType.CHAT_GROUP ? "group" : "user", m.target ?? "", m.clientMessageId ?? "",
      m.contentType ?? "", m.body ?? new Uint8Array(0), num(m.timestamp ?? 0));
  }
  return s;
}

function groupBody(groupId: string): Uint8Array {
  return pb.GroupRequest.encode({ groupId }).finish();
}

function groupInfo(b: Uint8Array): GroupInfo {
  const g = pb.GroupProfile.decode(b);
  return {
    groupId: g.groupId, ownerId: g.ownerId, name: g.name, avatar: g.avatar, introduction: g.introduction,
    createdAt: num(g.createdAt), memberCount: g.memberCount, joinPolicy: joinPolicyName(g.joinPolicy),
  };
}

function presenceOf(p: { userId?: string | null; online?: boolean | null; lastSeen?: unknown }): { userId: string; online: boolean; lastSeen: number } {
  return { userId: p.userId ?? "", online: p.online ?? false, lastSeen: num(p.lastSeen ?? 0) };
}

function joinPolicyNumber(p: JoinPolicy): number {
  switch (p) {
    case "open": return pb.JoinPolicy.OPEN;
    case "approval": return pb.JoinPolicy.APPROVAL;
    case "invite-only": return pb.JoinPolicy.INVITE_ONLY;
    default: throw new TypeError(`joinPolicy: ${String(p)} (expected: "invite-only", "open" or "approval")`);
  }
}

function joinPolicyName(n: number): JoinPolicy {
  return n === pb.JoinPolicy.OPEN ? "open" : n === pb.JoinPolicy.APPROVAL ? "approval" : "invite-only";
}

function checkWsUrl(a: unknown, what: string): void {
  if (typeof a !== "string" || !/^wss?:\/\//.test(a)) {
    throw new TypeError(`${what}: ${String(a)} (expected: a ws:// or wss:// URL)`);
  }
}

function closeQuietly(c: Conn): void {
  try {
    c.ws?.close(1000, "");
  } catch {
    // already closing
  }
}

function clear(t: Timer | undefined): undefined {
  if (t !== undefined) clearTimeout(t);
  return undefined;
}

function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  let s = "";
  for (let i = 0; i < 4; i++) s += Math.floor(Math.random() * 0x100000000).toString(16).padStart(8, "0");
  return s;
}

function positive(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!(typeof v === "number" && v > 0 && Number.isFinite(v))) throw new RangeError(`${name}: ${v} (expected: > 0)`);
  return v;
}

function nonNegative(v: number | undefined, dflt: number, name: string): number {
  if (v === undefined) return dflt;
  if (!(typeof v === "number" && v >= 0 && Number.isFinite(v))) throw new RangeError(`${name}: ${v} (expected: >= 0)`);
  return v;
}
