// The SDK from Node against the real example server: login, chat between two clients, groups, sync after a
// reconnect and after a server restart, and a kick.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  KimClient, KimStatusError, MemoryStorage, type ConnectionState, type KimClientOptions, type KimMessage,
  type WebSocketConstructor,
} from "../../src/index.js";
import { ExampleServer } from "../support/example-server.js";

let server: ExampleServer;
const clients: KimClient[] = [];
let run = 0;

beforeAll(async () => {
  server = await ExampleServer.start();
});

afterAll(async () => {
  await server?.dispose();
});

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
});

/** A fresh user id per test, so tests never share inboxes. */
const user = (name: string) => `${name}-${run}`;

interface Probe {
  c: KimClient;
  received: KimMessage[];
  states: ConnectionState[];
  resets: number;
  kicked: string[];
}

async function client(userId: string, extra: Partial<KimClientOptions> = {}): Promise<Probe> {
  await server.ensureUser(userId);
  const token = await server.token(userId);
  const c = new KimClient({
    addresses: [server.ws], token, WebSocket: WebSocket as unknown as WebSocketConstructor, heartbeatMs: 5_000,
    backoff: { initialMs: 100, maxMs: 1_000 }, ...extra,
  });
  const p: Probe = { c, received: [], states: [], resets: 0, kicked: [] };
  c.on("message", (m) => p.received.push(m));
  c.on("state", (s) => p.states.push(s));
  c.on("reset", () => p.resets++);
  c.on("kicked", (k) => p.kicked.push(k.reason));
  clients.push(c);
  return p;
}

/** Waits until `cond` holds, checking after every event-loop turn; fails with `what` after 20 s. */
async function until(what: string, cond: () => boolean, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const texts = (ms: KimMessage[], from?: string) => ms.filter((m) => !from || m.senderId === from).map((m) => m.text);

describe("the SDK against the example server", () => {
  it("login_wrongPassword_is401_rightPasswordGivesAWorkingToken", async () => {
    run++;
    const alice = user("alice");
    await server.ensureUser(alice);
    const wrong = await server.admin("POST", "/login", { userId: alice, password: "nope" });
    expect(wrong.status).toBe(401);
    const a = await client(alice);
    const info = await a.c.connect();
    expect(info.userId).toBe(alice);
    expect(info.deviceType).toBe("web");
    expect(a.c.state).toBe("online");
  });

  it("adminApi_needsTheKey_butLoginAndHealthArePublic", async () => {
    run++;
    const bob = user("bob");
    await server.ensureUser(bob);
    const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
      fetch(server.http + path, { method: "POST", headers: { "Content-Type": "application/json", ...headers }, body: JSON.stringify(body) });
    const noKey = await post("/users", { userId: user("mallory"), password: "x" });
    expect(noKey.status).toBe(401);
    expect(noKey.headers.get("www-authenticate")).toMatch(/^Bearer /);
    const wrongKey = await post("/users", { userId: user("mallory"), password: "x" }, { Authorization: "Bearer wrong-key-0123456789" });
    expect(wrongKey.status).toBe(401);
    const login = await post("/login", { userId: bob, password: `${bob}-password` });
    expect(login.status).toBe(200);
    expect(((await login.json()) as { token?: string }).token).toBeTruthy();
    expect((await fetch(`${server.http}/health`)).status).toBe(200);
  });

  it("login_badToken_rejectsAndCloses", async () => {
    const c = new KimClient({ addresses: [server.ws], token: "not-a-token", WebSocket: WebSocket as unknown as WebSocketConstructor });
    clients.push(c);
    const e = await c.connect().catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KimStatusError);
    expect((e as KimStatusError).status).toBe("UNAUTHORIZED");
    expect(c.state).toBe("closed");
  });

  it("twoClients_chat_inOrderOnBothSidesWithAcks", async () => {
    run++;
    const [alice, bob] = [user("alice"), user("bob")];
    const a = await client(alice);
    const b = await client(bob);
    await Promise.all([a.c.connect(), b.c.connect()]);
    const acks = await Promise.all([1, 2, 3].map((i) => a.c.send(bob, `hi ${i}`)));
    expect(acks.map((r) => r.duplicate)).toEqual([false, false, false]);
    expect(new Set(acks.map((r) => r.messageId)).size).toBe(3);
    await until("bob's three messages", () => b.received.length >= 3);
    expect(texts(b.received)).toEqual(["hi 1", "hi 2", "hi 3"]);
    expect(b.received.map((m) => m.senderId)).toEqual([alice, alice, alice]);
    expect(b.received.map((m) => m.sequence)).toEqual([1, 2, 3]);
    await b.c.send(alice, "hello back");
    await until("alice's reply", () => texts(a.received, bob).length === 1);
    // alice's inbox holds her own messages too, then bob's reply, in sequence order
    expect(texts(a.received)).toEqual(["hi 1", "hi 2", "hi 3", "hello back"]);
    expect(a.received.map((m) => m.sequence)).toEqual([1, 2, 3, 4]);
  });

  it("send_retryWithSameClientMessageId_isOneMessage", async () => {
    run++;
    const [alice, bob] = [user("alice"), user("bob")];
    const a = await client(alice);
    const b = await client(bob);
    await Promise.all([a.c.connect(), b.c.connect()]);
    const first = await a.c.send(bob, "once", { clientMessageId: "cm-1" });
    const again = await a.c.send(bob, "once", { clientMessageId: "cm-1" });
    expect(again.duplicate).toBe(true);
    expect(again.messageId).toBe(first.messageId);
    await a.c.send(bob, "twice");
    await until("bob's messages", () => b.received.length >= 2);
    expect(texts(b.received)).toEqual(["once", "twice"]);
  });

  it("group_createSendMembers_everyMemberReceivesOnce", async () => {
    run++;
    const [alice, bob, carol] = [user("alice"), user("bob"), user("carol")];
    const a = await client(alice);
    const b = await client(bob);
    const c = await client(carol);
    await Promise.all([a.c.connect(), b.c.connect(), c.c.connect()]);
    const g = await a.c.createGroup({ groupId: `team-${run}`, name: "Team", members: [bob, carol] });
    expect(g.ownerId).toBe(alice);
    expect(await b.c.groupMembers(g.groupId)).toEqual([alice, bob, carol]);
    await a.c.sendToGroup(g.groupId, "hello team");
    await b.c.sendToGroup(g.groupId, "hi all");
    for (const p of [a, b, c]) {
      await until("both group messages", () => p.received.filter((m) => m.chatType === "group").length >= 2);
      expect(p.received.filter((m) => m.chatType === "group").map((m) => [m.target, m.senderId, m.text]))
        .toEqual([[g.groupId, alice, "hello team"], [g.groupId, bob, "hi all"]]);
    }
  });

  it("group_approvalPolicy_joinRequestApproved_memberAddsAnother", async () => {
    run++;
    const [alice, bob, carol] = [user("alice"), user("bob"), user("carol")];
    const a = await client(alice);
    const b = await client(bob);
    const c = await client(carol);
    await Promise.all([a.c.connect(), b.c.connect(), c.c.connect()]);
    const g = await a.c.createGroup({ name: "Club", joinPolicy: "approval" });
    expect(g.joinPolicy).toBe("approval");
    expect(await c.c.joinGroup(g.groupId)).toEqual({ pending: true });
    expect(await a.c.groupJoinRequests(g.groupId)).toEqual([carol]);
    expect(await a.c.approveJoinRequests(g.groupId, [carol, bob])).toEqual([carol]);
    expect(await a.c.groupJoinRequests(g.groupId)).toEqual([]);
    expect(await c.c.addGroupMembers(g.groupId, [bob, alice])).toEqual([bob]);
    expect(await b.c.groupMembers(g.groupId)).toEqual([alice, carol, bob]);
    const outsider = await client(user("dave"));
    await outsider.c.connect();
    const refused = await outsider.c.addGroupMembers(g.groupId, [user("dave")]).catch((e: unknown) => e);
    expect((refused as KimStatusError).status).toBe("FORBIDDEN");
    await expect(b.c.addGroupMembers(g.groupId, [])).rejects.toBeInstanceOf(TypeError);
  });

  it("reconnect_withSavedPosition_syncsOnlyWhatWasMissed", async () => {
    run++;
    const [alice, bob] = [user("alice"), user("bob")];
    const storage = new MemoryStorage();
    const a = await client(alice);
    const b1 = await client(bob, { storage });
    await Promise.all([a.c.connect(), b1.c.connect()]);
    await a.c.send(bob, "before");
    await until("the first message", () => b1.received.length === 1);
    await b1.c.close();
    for (let i = 1; i <= 5; i++) await a.c.send(bob, `missed ${i}`);
    const b2 = await client(bob, { storage, syncPageSize: 2 });
    await b2.c.connect();
    expect(texts(b2.received)).toEqual(["missed 1", "missed 2", "missed 3", "missed 4", "missed 5"]);
    expect(b2.received[0]!.sequence).toBe(2);
  });

  it("serverRestart_clientsReconnectByThemselves_andChatGoesOn", async () => {
    run++;
    const [alice, bob] = [user("alice"), user("bob")];
    const a = await client(alice);
    const b = await client(bob);
    await Promise.all([a.c.connect(), b.c.connect()]);
    await a.c.send(bob, "before restart");
    await until("the first message", () => b.received.length === 1);
    const epoch = b.c.epoch;
    await server.restart();
    // a memory store forgets users (the tokens stay valid: same secret); a durable one keeps them
    await server.ensureUser(alice);
    await server.ensureUser(bob);
    await until("both online again", () => a.c.state === "online" && b.c.state === "online" && b.states.includes("reconnecting"));
    const pending = a.c.send(bob, "after restart");
    await pending;
    await until("the message after the restart", () => texts(b.received).includes("after restart"));
    expect(texts(b.received).filter((t) => t === "before restart")).toHaveLength(1);
    // a fresh in-memory inbox has a new epoch: the client noticed and started over; a durable one has the same
    expect(b.resets).toBe(b.c.epoch === epoch ? 0 : 1);
  });

  it("kick_sameUserLogsInAgain_firstClientStopsForGood", async () => {
    run++;
    const bob = user("bob");
    const first = await client(bob);
    await first.c.connect();
    const second = await client(bob);
    await second.c.connect();
    await until("the kick", () => first.c.state === "kicked");
    expect(first.kicked).toHaveLength(1);
    expect(first.states.filter((s) => s === "reconnecting")).toEqual([]);
    expect(second.c.state).toBe("online");
    await expect(first.c.send(bob, "x")).rejects.toThrow(/kicked/);
  });
});
