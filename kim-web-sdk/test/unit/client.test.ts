import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { kim } from "../../src/gen/protocol.js";
import {
  KimClient, KimClientError, KimStatusError, KimTimeoutError, LocalStorageAdapter, MemoryStorage,
  type ConnectionState, type FetchLike, type KimClientOptions, type KimMessage, type WebSocketConstructor,
} from "../../src/index.js";
import { FakeServer, n, settle } from "../support/fake-server.js";

const { Command, Status } = kim.v1;
const pb = kim.v1;
const URL_A = "ws://a.invalid/ws";
const URL_B = "ws://b.invalid/ws";

let server: FakeServer;
const clients: KimClient[] = [];

beforeEach(() => {
  vi.useFakeTimers();
  server = new FakeServer();
});

afterEach(async () => {
  for (const c of clients.splice(0)) void c.close();
  await vi.runOnlyPendingTimersAsync();
  vi.useRealTimers();
});

function client(user: string, extra: Partial<KimClientOptions> = {}) {
  const token = server.tokens.size && [...server.tokens].find(([, id]) => id.user === user)?.[0] || server.addUser(user);
  const received: KimMessage[] = [];
  const states: ConnectionState[] = [];
  const c = new KimClient({
    addresses: [URL_A], token, WebSocket: server.WebSocket as unknown as WebSocketConstructor, random: () => 1 - 1e-9,
    watchNetwork: false, ...extra,
  });
  c.on("message", (m) => received.push(m));
  c.on("state", (s) => states.push(s));
  clients.push(c);
  return { c, received, states };
}

const texts = (ms: KimMessage[]) => ms.map((m) => m.text);
const seqs = (ms: KimMessage[]) => ms.map((m) => m.sequence);

async function tick(ms = 0) {
  await settle();
  await vi.advanceTimersByTimeAsync(ms);
  await settle();
}

describe("connect and sync", () => {
  it("connect_storedEntries_resolvesAfterDeliveringThemInOrder", async () => {
    server.addUser("alice");
    for (let i = 1; i <= 5; i++) server.store("bob", "alice", `hi ${i}`, { push: false });
    const { c, received, states } = client("alice", { syncPageSize: 2 });
    const login = c.connect();
    await tick();
    const info = await login;
    expect(info.userId).toBe("alice");
    expect(texts(received)).toEqual(["hi 1", "hi 2", "hi 3", "hi 4", "hi 5"]);
    expect(server.requests(Command.SYNC).length).toBe(3); // pages of 2: after 0, 2, 4
    expect(states).toEqual(["connecting", "online"]);
    expect(c.lastSequence).toBe(5);
  });

  it("connect_savedPosition_resumesAfterIt", async () => {
    server.addUser("alice");
    for (let i = 1; i <= 4; i++) server.store("bob", "alice", `m${i}`, { push: false });
    const storage = new MemoryStorage();
    storage.save("demo/alice", { lastSequence: 2, epoch: "epoch-1" });
    const { c, received } = client("alice", { storage });
    void c.connect();
    await tick();
    expect(seqs(received)).toEqual([3, 4]);
    expect(n(kim.v1.SyncRequest.decode(server.requests(Command.SYNC)[0]!.body).afterSequence)).toBe(2);
    expect(storage.load("demo/alice")).toEqual({ lastSequence: 4, epoch: "epoch-1" });
  });

  it("localStorageAdapter_roundTripsAndIgnoresGarbage", () => {
    const data = new Map<string, string>();
    const web = { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
    const s = new LocalStorageAdapter(web);
    expect(s.load("demo/alice")).toBeUndefined();
    s.save("demo/alice", { lastSequence: 7, epoch: "e" });
    expect(new LocalStorageAdapter(web).load("demo/alice")).toEqual({ lastSequence: 7, epoch: "e" });
    data.set("kim:position:demo/bob", "{not json");
    expect(s.load("demo/bob")).toBeUndefined();
  });
});

describe("epoch", () => {
  it("login_otherEpochThanSaved_resetsAndSyncsFromZero", async () => {
    server.addUser("alice");
    server.store("bob", "alice", "new inbox 1", { push: false });
    const storage = new MemoryStorage();
    storage.save("demo/alice", { lastSequence: 9, epoch: "old-epoch" });
    const { c, received } = client("alice", { storage });
    const resets: unknown[] = [];
    c.on("reset", (r) => resets.push(r));
    void c.connect();
    await tick();
    expect(resets).toEqual([{ previousEpoch: "old-epoch", epoch: "epoch-1" }]);
    expect(texts(received)).toEqual(["new inbox 1"]);
    expect(storage.load("demo/alice")).toEqual({ lastSequence: 1, epoch: "epoch-1" });
  });

  it("reconnect_afterServerRestartWithNewEpoch_startsOverFromZero", async () => {
    server.addUser("alice");
    server.store("bob", "alice", "before 1", { push: false });
    server.store("bob", "alice", "before 2", { push: false });
    const { c, received } = client("alice");
    const resets: unknown[] = [];
    c.on("reset", (r) => resets.push(r));
    void c.connect();
    await tick();
    expect(c.lastSequence).toBe(2);
    server.restart();
    server.store("bob", "alice", "after 1", { push: false });
    await tick(1_000); // backoff (at most 500 ms for the first attempt)
    expect(resets.length).toBe(1);
    expect(texts(received)).toEqual(["before 1", "before 2", "after 1"]);
    expect(c.lastSequence).toBe(1);
    expect(n(kim.v1.SyncRequest.decode(server.requests(Command.SYNC).at(-1)!.body).afterSequence)).toBe(0);
  });

  it("sync_answerWithOtherEpoch_resetsAndAsksAgainFromZero", async () => {
    server.addUser("alice");
    server.store("bob", "alice", "x", { push: false });
    let first = true;
    server.intercept = (s) => {
      if (s.command === Command.SYNC && first) {
        first = false;
        server.epochs.set("alice", "epoch-2"); // the inbox is recreated between login and sync
      }
      return "pass";
    };
    const { c, received } = client("alice");
    const resets: unknown[] = [];
    c.on("reset", (r) => resets.push(r));
    void c.connect();
    await tick();
    expect(resets).toEqual([{ previousEpoch: "epoch-1", epoch: "epoch-2" }]);
    expect(texts(received)).toEqual(["x"]);
    expect(server.requests(Command.SYNC).length).toBe(2);
  });
});

describe("ordering", () => {
  it("push_afterGap_waitsThenSyncsAndDeliversInOrder", async () => {
    server.addUser("alice");
    const { c, received } = client("alice", { gapWaitMs: 100 });
    void c.connect();
    await tick();
    server.lostPushes.add("alice:2");
    server.store("bob", "alice", "one");
    server.store("bob", "alice", "two");
    server.store("bob", "alice", "three");
    await tick();
    expect(texts(received)).toEqual(["one"]); // 3 waits behind the gap
    const syncsBefore = server.requests(Command.SYNC).length;
    await tick(100);
    expect(server.requests(Command.SYNC).length).toBe(syncsBefore + 1);
    expect(texts(received)).toEqual(["one", "two", "three"]);
  });

  it("duplicates_fromPushAndSync_areDeliveredOnce", async () => {
    server.addUser("alice");
    const { c, received } = client("alice");
    void c.connect();
    await tick();
    server.store("bob", "alice", "one");
    const e = server.inbox("alice")[0]!;
    server.pushEntry("alice", e);
    server.pushEntry("alice", e);
    await tick();
    server.closeAll(1006); // the reconnect's sync returns entry 1 again
    await tick(1_000);
    expect(c.state).toBe("online");
    expect(seqs(received)).toEqual([1]);
  });

  it("ownSend_isDeliveredAsAnInboxEntry", async () => {
    server.addUser("alice");
    server.addUser("bob");
    const { c, received } = client("alice");
    void c.connect();
    await tick();
    const ack = c.send("bob", "hello bob");
    await tick();
    const r = await ack;
    expect(r.sequence).toBe(1);
    expect(received.map((m) => [m.sequence, m.senderId, m.text])).toEqual([[1, "alice", "hello bob"]]);
    expect(server.inbox("bob").length).toBe(1);
  });
});

describe("send retries", () => {
  it("send_unavailableThenRateLimited_retriesWithSameClientMessageId", async () => {
    server.addUser("alice");
    server.addUser("bob");
    const answers = [Status.UNAVAILABLE, Status.RATE_LIMITED];
    server.intercept = (s) => {
      const next = s.command === Command.SEND ? answers.shift() : undefined;
      return next === undefined ? "pass" : { status: next };
    };
    const { c } = client("alice");
    void c.connect();
    await tick();
    const ack = c.send("bob", "retry me", { clientMessageId: "cid-1" });
    await tick(5_000);
    await expect(ack).resolves.toMatchObject({ clientMessageId: "cid-1", sequence: 1, duplicate: false });
    const ids = server.requests(Command.SEND).map((s) => kim.v1.SendRequest.decode(s.body).clientMessageId);
    expect(ids).toEqual(["cid-1", "cid-1", "cid-1"]);
    expect(server.inbox("bob").length).toBe(1);
  });

  it("send_answerLost_isResentAfterRequestTimeoutAndStoredOnce", async () => {
    server.addUser("alice");
    server.addUser("bob");
    let dropped = false;
    server.intercept = (s) => {
      if (s.command === Command.SEND && !dropped) {
        dropped = true;
        return "drop-response";
      }
      return "pass";
    };
    const { c } = client("alice", { requestTimeoutMs: 1_000 });
    void c.connect();
    await tick();
    const ack = c.send("bob", "once");
    await tick(999);
    expect(server.requests(Command.SEND).length).toBe(1);
    await tick(1);
    await expect(ack).resolves.toMatchObject({ duplicate: true, sequence: 1 });
    expect(server.requests(Command.SEND).length).toBe(2);
    expect(server.inbox("bob").length).toBe(1);
  });

  it("send_neverAnswered_rejectsWithTimeoutAfterSendTimeout", async () => {
    server.addUser("alice");
    server.intercept = (s) => (s.command === Command.SEND ? "drop" : "pass");
    const { c } = client("alice", { requestTimeoutMs: 1_000, sendTimeoutMs: 3_500 });
    void c.connect();
    await tick();
    const ack = c.send("bob", "lost");
    const outcome = ack.then(() => "resolved", (e: unknown) => e);
    await tick(3_500);
    expect(await outcome).toBeInstanceOf(KimTimeoutError);
    expect(server.requests(Command.SEND).length).toBe(4); // at 0, 1, 2, 3 s
  });

  it("send_refused_rejectsWithStatusAndIsNotRetried", async () => {
    server.addUser("alice");
    const { c } = client("alice");
    void c.connect();
    await tick();
    const ack = c.sendToGroup("nope", "hi");
    const outcome = ack.then(() => undefined, (e: unknown) => e);
    await tick(5_000);
    const e = await outcome;
    expect(e).toBeInstanceOf(KimStatusError);
    expect((e as KimStatusError).status).toBe("FORBIDDEN");
    expect(server.requests(Command.SEND).length).toBe(1);
  });

  it("send_overTheFrameLimit_rejectsAtOnceWithTooLarge_connectionStays", async () => {
    server.addUser("alice");
    const { c, states } = client("alice");
    void c.connect();
    await tick();
    const outcome = c.send("bob", new Uint8Array((1 << 20) + 1)).then(() => undefined, (e: unknown) => e);
    await tick();
    const e = await outcome;
    expect(e).toBeInstanceOf(KimStatusError);
    expect((e as KimStatusError).status).toBe("TOO_LARGE");
    expect(server.requests(Command.SEND).length).toBe(0);
    expect(c.state).toBe("online");
    expect(states.filter((s) => s === "connecting").length).toBe(1);
    const small = c.send("bob", "small");
    await tick();
    await small;
    expect(server.requests(Command.SEND).length).toBe(1);
  });

  it("send_connectionLost_isResentOnTheNextConnectionWithSameId", async () => {
    server.addUser("alice");
    server.addUser("bob");
    let drop = true;
    server.intercept = (s, socket) => {
      if (s.command === Command.SEND && drop) {
        drop = false;
        socket.serverClose(1006);
        return "drop";
      }
      return "pass";
    };
    const { c } = client("alice");
    void c.connect();
    await tick();
    const ack = c.send("bob", "survive", { clientMessageId: "keep-me" });
    await tick(1_000);
    await expect(ack).resolves.toMatchObject({ clientMessageId: "keep-me" });
    expect(server.connects.length).toBe(2);
    expect(server.inbox("bob").length).toBe(1);
  });

  it("send_beforeConnect_waitsForTheLogin", async () => {
    server.addUser("alice");
    server.addUser("bob");
    const { c } = client("alice");
    const ack = c.send("bob", "early");
    await tick(100);
    expect(server.requests(Command.SEND).length).toBe(0);
    void c.connect();
    await tick();
    await expect(ack).resolves.toMatchObject({ sequence: 1 });
  });
});

describe("reconnect", () => {
  it("reconnect_serverDown_backsOffWithFullJitterUpToTheMaximum", async () => {
    server.addUser("alice");
    server.down.add(URL_A);
    const { c } = client("alice", { backoff: { initialMs: 500, maxMs: 4_000 }, random: () => 0.5 });
    void c.connect();
    await tick();
    // attempt 1 at 0; after failure n, a delay of 0.5 * min(4000, 500 * 2^n): 500, 1000, 2000, 2000, 2000
    const expected = [0, 500, 1500, 3500, 5500, 7500];
    await tick(7_500);
    expect(server.connects.map((x) => x.at - server.connects[0]!.at)).toEqual(expected);
    expect(c.state).toBe("connecting");
    server.down.clear();
    await tick(2_000);
    expect(c.state).toBe("online");
  });

  it("failover_firstAddressDown_triesTheNextAtOnce", async () => {
    server.addUser("alice");
    server.down.add(URL_A);
    const { c } = client("alice", { addresses: [URL_A, URL_B] });
    const login = c.connect();
    await tick();
    await login;
    expect(server.connects.map((x) => x.url)).toEqual([URL_A, URL_B]);
    expect(server.connects[1]!.at).toBe(server.connects[0]!.at);
  });

  it("router_answerOrderIsDialed_askedAgainAfterALostConnectionAndAfterAFailedRound", async () => {
    const token = server.addUser("alice");
    const URL_C = "ws://c.invalid/ws";
    const answers: string[][] = [[URL_B, URL_A], [URL_C, URL_A]];
    const asked: string[] = [];
    const fetch: FetchLike = async (url) => {
      asked.push(url);
      const list = answers.shift() ?? [URL_A];
      return { ok: true, status: 200, json: async () => ({ gateways: list.map((ws, i) => ({ node: `n${i}`, ws })) }) };
    };
    const c = new KimClient({
      router: "https://router.invalid/gateways?tenant=t&user=alice", token, fetch,
      WebSocket: server.WebSocket as unknown as WebSocketConstructor, random: () => 1 - 1e-9, watchNetwork: false,
      backoff: { initialMs: 10, maxMs: 10 },
    });
    clients.push(c);
    void c.connect();
    await tick();
    expect(asked).toEqual(["https://router.invalid/gateways?tenant=t&user=alice"]);
    expect(server.connects.map((x) => x.url)).toEqual([URL_B]);
    expect(c.state).toBe("online");

    server.down.add(URL_C);
    server.closeAll(1001, "node going away"); // a lost connection: ask again; C is down, so A next
    await tick(100);
    expect(asked.length).toBe(2);
    expect(server.connects.map((x) => x.url)).toEqual([URL_B, URL_C, URL_A]);
    expect(c.state).toBe("online");
  });

  it("router_unreachable_usesItsLastAnswer_orFailsTheAttemptAndRetries", async () => {
    const token = server.addUser("alice");
    let up = false;
    let calls = 0;
    const fetch: FetchLike = async () => {
      calls++;
      if (!up) throw new Error("connection refused");
      return { ok: true, status: 200, json: async () => ({ gateways: [{ ws: URL_A }] }) };
    };
    const c = new KimClient({
      router: "http://router.invalid/gateways", token, fetch,
      WebSocket: server.WebSocket as unknown as WebSocketConstructor, random: () => 1 - 1e-9, watchNetwork: false,
      backoff: { initialMs: 100, maxMs: 100 },
    });
    clients.push(c);
    void c.connect();
    await tick(250);
    expect(calls).toBeGreaterThanOrEqual(2); // no answer yet: nothing to dial, retried after the backoff
    expect(server.connects.length).toBe(0);
    up = true;
    await tick(200);
    expect(c.state).toBe("online");
    up = false;
    server.closeAll(1001, "restart");
    await tick(200);
    expect(c.state).toBe("online"); // the router is down again: its last answer still works
    expect(server.connects.map((x) => x.url)).toEqual([URL_A, URL_A]);
  });

  it("options_routerAndAddressesTogether_orABadRouterUrl_areRefused", () => {
    const WebSocket = server.WebSocket as unknown as WebSocketConstructor;
    expect(() => new KimClient({ router: "https://r.invalid/g", addresses: [URL_A], token: "t", WebSocket }))
      .toThrow(TypeError);
    expect(() => new KimClient({ router: "ftp://r.invalid/g", token: "t", WebSocket, fetch: async () => { throw new Error(); } }))
      .toThrow(/router/);
    expect(() => new KimClient({ token: "t", WebSocket })).toThrow(/addresses/);
  });

  it("presence_watchedUsers_areWatchedAgainAfterAReconnect_andTheirStateIsEmitted", async () => {
    server.addUser("alice");
    const { c } = client("alice", { backoff: { initialMs: 10, maxMs: 10 } });
    const seen: Array<{ userId: string; online: boolean }> = [];
    c.on("presence", (p) => seen.push({ userId: p.userId, online: p.online }));
    void c.connect();
    await tick();
    const now = c.watchPresence(["dave"]);
    await tick();
    expect(await now).toEqual([{ userId: "dave", online: false, lastSeen: 0 }]);
    expect(seen).toEqual([]);

    server.closeAll(1001, "restart");
    await tick(100);
    expect(c.state).toBe("online");
    const asked = server.requests(Command.PRESENCE).map((r) => [...pb.PresenceRequest.decode(r.body).subscribe]);
    expect(asked).toEqual([["dave"], ["dave"]]);
    expect(seen).toEqual([{ userId: "dave", online: false }]);
    await expect(c.watchPresence([" "])).rejects.toBeInstanceOf(TypeError);
  });

  it("reconnect_tokenFunction_isCalledBeforeEveryLogin", async () => {
    const t1 = server.addUser("alice", "alice-web", "first");
    const t2 = server.addUser("alice", "alice-web", "second");
    const tokens = [t1, t2];
    const calls: string[] = [];
    const { c } = client("alice", { token: async () => { const t = tokens[calls.length]!; calls.push(t); return t; } });
    void c.connect();
    await tick();
    server.closeAll(1001);
    await tick(1_000);
    expect(calls).toEqual(["first", "second"]);
    expect(c.state).toBe("online");
  });

  it("heartbeat_sentWhenIdle_andASilentServerIsDropped", async () => {
    server.addUser("alice");
    const { c, states } = client("alice", { heartbeatMs: 10_000 });
    void c.connect();
    await tick();
    await tick(10_000);
    expect(server.requests(Command.HEARTBEAT).length).toBe(1);
    server.intercept = () => "drop"; // the server goes silent: no answers at all
    await tick(30_000);
    expect(states).toContain("reconnecting");
  });

  it("kick_stopsForGoodAndFailsPendingSends", async () => {
    server.addUser("alice");
    server.intercept = (s) => (s.command === Command.SEND ? "drop" : "pass");
    const { c, states } = client("alice");
    const kicks: unknown[] = [];
    c.on("kicked", (k) => kicks.push(k));
    void c.connect();
    await tick();
    const ack = c.send("bob", "pending").catch((e: unknown) => e);
    server.kick("alice");
    await tick(60_000);
    expect(kicks).toEqual([{ reason: "replaced by a newer login" }]);
    expect(states.at(-1)).toBe("kicked");
    expect(await ack).toBeInstanceOf(KimClientError);
    expect(server.connects.length).toBe(1);
  });

  it("close4003_withoutKickPush_isAKickToo", async () => {
    server.addUser("alice");
    const { c } = client("alice");
    void c.connect();
    await tick();
    server.closeAll(4003, "kicked");
    await tick(60_000);
    expect(c.state).toBe("kicked");
    expect(server.connects.length).toBe(1);
  });

  it("login_unauthorized_closesWithoutRetrying", async () => {
    const { c } = client("alice", { token: "wrong" });
    const login = c.connect().catch((e: unknown) => e);
    await tick(60_000);
    const e = await login;
    expect(e).toBeInstanceOf(KimStatusError);
    expect((e as KimStatusError).status).toBe("UNAUTHORIZED");
    expect(c.state).toBe("closed");
    expect(server.connects.length).toBe(1);
  });

  it("close_acksLogsOutAndStops", async () => {
    server.addUser("alice");
    server.store("bob", "alice", "read me", { push: false });
    const { c, states } = client("alice");
    void c.connect();
    await tick();
    const acksBefore = server.requests(Command.ACK).length;
    const closed = c.close();
    await tick(2_000);
    await closed;
    expect(server.requests(Command.LOGOUT).length).toBe(1);
    expect(server.requests(Command.ACK).length).toBeGreaterThanOrEqual(acksBefore);
    expect(n(kim.v1.AckRequest.decode(server.requests(Command.ACK).at(-1)!.body).sequence)).toBe(1);
    expect(states.at(-1)).toBe("closed");
    await expect(c.send("bob", "late")).rejects.toBeInstanceOf(KimClientError);
    expect(server.connects.length).toBe(1);
  });
});

describe("groups", () => {
  it("group_createSendAndMembers", async () => {
    server.addUser("alice");
    server.addUser("bob");
    const alice = client("alice");
    const bob = client("bob");
    void alice.c.connect();
    void bob.c.connect();
    await tick();
    const g = alice.c.createGroup({ groupId: "team", name: "Team", members: ["bob"] });
    await tick();
    expect(await g).toMatchObject({ groupId: "team", ownerId: "alice", memberCount: 2 });
    const members = alice.c.groupMembers("team");
    const sent = alice.c.sendToGroup("team", "hello team");
    await tick();
    expect(await members).toEqual(["alice", "bob"]);
    await sent;
    expect(bob.received.map((m) => [m.chatType, m.target, m.text])).toEqual([["group", "team", "hello team"]]);
    expect(alice.received.map((m) => m.text)).toEqual(["hello team"]);
  });
});

describe("notices", () => {
  it("notices_arriveAsTheirOwnEvents_inInboxOrder_notAsMessages", async () => {
    server.addUser("alice");
    const { c, received } = client("alice");
    const events: string[] = [];
    c.on("edited", (e) => events.push(`edited ${e.messageId} v${e.version} ${e.text}`));
    c.on("recalled", (r) => events.push(`recalled ${r.messageId} by ${r.recalledBy}`));
    c.on("read", (r) => events.push(`read ${r.messageId} by ${r.readerId} at ${r.timestamp}`));
    const login = c.connect();
    await tick();
    await login;
    server.store("bob", "alice", "helo");
    const notice = (contentType: string, body: Uint8Array) => {
      const inbox = server.inbox("alice");
      const sequence = inbox.length + 1;
      const message: kim.v1.ChatMessage.$Properties = {
        messageId: `n-${sequence}`, senderId: "bob", senderDevice: "bob-web", chatType: kim.v1.TargetType.CHAT_USER,
        target: "alice", clientMessageId: `n-${sequence}`, contentType, body, timestamp: 9_000 + sequence,
      };
      inbox.push({ sequence, message });
      server.pushEntry("alice", { sequence, message });
    };
    notice("kim/edit", kim.v1.EditNotice.encode({ messageId: "m-1", version: 1, contentType: "text/plain",
      body: new TextEncoder().encode("hello") }).finish());
    notice("kim/recall", kim.v1.RecallNotice.encode({ messageId: "m-1" }).finish());
    notice("kim/read", kim.v1.ReadReceipt.encode({ messageId: "m-1", timestamp: 1_001, readerSequence: 1 }).finish());
    await tick();
    expect(texts(received)).toEqual(["helo"]);
    expect(events).toEqual(["edited m-1 v1 hello", "recalled m-1 by bob", "read m-1 by bob at 1001"]);
    expect(c.lastSequence).toBe(4);
  });
});
