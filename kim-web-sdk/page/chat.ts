// The kim chat page: password login on the same origin (POST /login), then one KimClient over WebSocket.
// What it keeps in localStorage: the session (token, until it expires), the SDK's inbox position, and per user the
// last messages and the sends not yet acknowledged (sent again, with the same client message id, after a reload).
import {
  KimClient, KimStatusError, LocalStorageAdapter, type ChatKind, type ConnectionState, type KimMessage,
} from "../src/index.js";

interface Session {
  token: string;
  tenant: string;
  userId: string;
  deviceId: string;
  expiresAt: string;
}

type MessageState = "pending" | "acked" | "failed";

interface Line {
  /** The client message id: the same for the pending send, its acknowledgement and its inbox entry. */
  cmid: string;
  messageId: string;
  conv: string;
  from: string;
  text: string;
  timestamp: number;
  state: MessageState;
  error?: string;
}

interface History {
  lines: Line[];
  conversations: string[];
}

const SESSION_KEY = "kim:session";
const HISTORY_LIMIT = 500;
const params = new URLSearchParams(location.search);
const wsAddress = params.get("ws")
  ?? `${location.protocol === "https:" ? "wss" : "ws"}://${location.hostname || "127.0.0.1"}:8001/ws`;

const $ = <T extends HTMLElement>(id: string): T => {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing`);
  return e as T;
};

let session: Session | undefined;
let client: KimClient | undefined;
let history: History = { lines: [], conversations: [] };
let active: string | undefined;
const unread = new Map<string, number>();

// ---- session ------------------------------------------------------------------------------------------------

function loadSession(): Session | undefined {
  try {
    const s = JSON.parse(localStorage.getItem(SESSION_KEY) ?? "null") as Session | null;
    if (s && typeof s.token === "string" && Date.parse(s.expiresAt) > Date.now() + 60_000) return s;
  } catch {
    // unreadable: sign in again
  }
  return undefined;
}

async function login(userId: string, password: string): Promise<Session> {
  const body: Record<string, string> = { userId, password, deviceType: "web" };
  const tenant = params.get("tenant");
  if (tenant) body.tenant = tenant;
  const res = await fetch("/login", {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body), cache: "no-store",
  });
  const json = (await res.json().catch(() => ({}))) as Record<string, string>;
  if (!res.ok) throw new Error(json.error ?? `login failed (HTTP ${res.status})`);
  return { token: json.token!, tenant: json.tenant!, userId: json.userId!, deviceId: json.deviceId!, expiresAt: json.expiresAt! };
}

// ---- history ------------------------------------------------------------------------------------------------

const historyKey = () => `kim:history:${session!.tenant}/${session!.userId}`;

function loadHistory(): History {
  try {
    const h = JSON.parse(localStorage.getItem(historyKey()) ?? "null") as History | null;
    if (h && Array.isArray(h.lines) && Array.isArray(h.conversations)) return h;
  } catch {
    // start afresh
  }
  return { lines: [], conversations: [] };
}

function saveHistory(): void {
  if (history.lines.length > HISTORY_LIMIT) history.lines = history.lines.slice(-HISTORY_LIMIT);
  try {
    localStorage.setItem(historyKey(), JSON.stringify(history));
  } catch {
    // full: the page still works, a reload shows less
  }
}

const convKey = (kind: ChatKind, target: string) => `${kind}:${target}`;
const convKind = (conv: string): ChatKind => (conv.startsWith("group:") ? "group" : "user");
const convTarget = (conv: string) => conv.slice(conv.indexOf(":") + 1);

function addConversation(conv: string): void {
  if (!history.conversations.includes(conv)) history.conversations.push(conv);
}

// ---- the client ---------------------------------------------------------------------------------------------

function start(s: Session): void {
  session = s;
  history = loadHistory();
  unread.clear();
  active = history.conversations[0];
  $("me").textContent = s.userId;
  $("login-view").hidden = true;
  $("chat-view").hidden = false;
  showNotice("");
  const c = new KimClient({
    addresses: [wsAddress],
    token: () => s.token,
    storage: new LocalStorageAdapter(localStorage),
    heartbeatMs: 20_000,
    backoff: { initialMs: 500, maxMs: 10_000 },
  });
  client = c;
  c.on("state", (st) => showState(st));
  c.on("message", (m) => received(m));
  c.on("recalled", (r) => amended(r.messageId, "(recalled)"));
  c.on("edited", (e) => amended(e.messageId, e.text ?? `[${e.contentType}, ${e.body.length} bytes]`));
  c.on("reset", () => showNotice("The server's inbox was reset (a fresh server): earlier messages stay on this page."));
  c.on("expired", (e) => showNotice(`Messages ${e.from}-${e.to} expired on the server before this page read them.`));
  c.on("kicked", ({ reason }) => {
    if (reason === "logged in on another device") { // a newer login of this user replaced this one
      showNotice("You signed in on another page or device; this page stopped.", "Use this page again", () => start(s));
    } else { // the server ended the session (logged out elsewhere, tokens revoked, password changed): the token is dead
      signOut(`The server ended this session (${reason}); sign in again.`);
    }
  });
  c.on("group", (e) => {
    if (e.kind === "created" || e.kind === "joined") {
      addConversation(convKey("group", e.groupId));
      saveHistory();
      render();
    }
  });
  c.connect().catch((e: unknown) => {
    if (client !== c) return;
    if (e instanceof KimStatusError && e.status === "UNAUTHORIZED") {
      signOut(`Your session ended (${e.detail || e.status}); sign in again.`);
    }
  });
  // Sends a reload interrupted: the same client message id makes a second delivery impossible.
  for (const line of history.lines) if (line.state === "pending") void transmit(line);
  render();
}

function received(m: KimMessage): void {
  const me = session!.userId;
  const conv = m.chatType === "group" ? convKey("group", m.target) : convKey("user", m.senderId === me ? m.target : m.senderId);
  const mine = m.senderId === me;
  let line = history.lines.find((l) => (mine && m.clientMessageId && l.cmid === m.clientMessageId) || l.messageId === m.messageId);
  if (line) {
    line.messageId = m.messageId;
    line.timestamp = m.timestamp;
    line.state = "acked";
    delete line.error;
  } else {
    line = {
      cmid: m.clientMessageId, messageId: m.messageId, conv, from: m.senderId, timestamp: m.timestamp, state: "acked",
      text: m.contentType === "kim/recalled" ? "(recalled)" : m.text ?? `[${m.contentType}, ${m.body.length} bytes]`,
    };
    history.lines.push(line);
    if (conv !== active && !mine) unread.set(conv, (unread.get(conv) ?? 0) + 1);
  }
  addConversation(conv);
  if (!active) active = conv;
  saveHistory();
  render();
}

/** A recall or an edit of a message on the page: its line shows the new text. */
function amended(messageId: string, text: string): void {
  const line = history.lines.find((l) => l.messageId === messageId);
  if (!line) return;
  line.text = text;
  saveHistory();
  render();
}

function send(text: string): void {
  if (!active || !client) return;
  const line: Line = {
    cmid: newId(), messageId: "", conv: active, from: session!.userId, text, timestamp: Date.now(),
    state: "pending",
  };
  history.lines.push(line);
  saveHistory();
  render();
  void transmit(line);
}

/** A random client message id (crypto.randomUUID exists only on https and localhost pages). */
function newId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");
}

async function transmit(line: Line): Promise<void> {
  const c = client;
  if (!c) return;
  try {
    const r = await c.send(convTarget(line.conv), line.text, { chatType: convKind(line.conv), clientMessageId: line.cmid });
    line.messageId = r.messageId;
    line.timestamp = r.timestamp;
    line.state = "acked";
    delete line.error;
  } catch (e) {
    if (client !== c) return; // signed out or replaced: it stays pending for the next client
    line.state = "failed";
    line.error = e instanceof Error ? e.message : String(e);
  }
  saveHistory();
  render();
}

/** Ends the session; `forget` also drops this user's history and inbox position (the next sign-in syncs afresh). */
function signOut(message = "", forget = false): void {
  const c = client;
  client = undefined;
  void c?.close();
  if (forget && session) {
    localStorage.removeItem(historyKey());
    localStorage.removeItem(`kim:position:${session.tenant}/${session.userId}`);
  }
  session = undefined;
  localStorage.removeItem(SESSION_KEY);
  $("chat-view").hidden = true;
  $("login-view").hidden = false;
  $("login-error").textContent = message;
  $<HTMLInputElement>("login-password").value = "";
}

// ---- rendering ----------------------------------------------------------------------------------------------

function showState(st: ConnectionState): void {
  const e = $("state");
  e.textContent = st;
  e.dataset.state = st;
  const canSend = st !== "kicked" && st !== "closed" && !!active;
  $<HTMLInputElement>("text").disabled = !canSend;
  $<HTMLButtonElement>("send").disabled = !canSend;
}

function showNotice(text: string, action?: string, onAction?: () => void): void {
  const n = $("notice");
  n.replaceChildren(text);
  n.hidden = text === "";
  if (action && onAction) {
    const b = document.createElement("button");
    b.type = "button";
    b.id = "notice-action";
    b.textContent = action;
    b.onclick = onAction;
    n.append(b);
    n.dataset.sticky = "1";
  } else {
    delete n.dataset.sticky;
  }
}

function render(): void {
  const list = $("conversations");
  list.replaceChildren(...history.conversations.map((conv) => {
    const li = document.createElement("li");
    li.dataset.conv = conv;
    li.className = conv === active ? "active" : "";
    li.append(`${convKind(conv) === "group" ? "# " : ""}${convTarget(conv)}`);
    const n = unread.get(conv);
    if (n) {
      const badge = document.createElement("span");
      badge.className = "unread";
      badge.textContent = String(n);
      li.append(badge);
    }
    li.onclick = () => open(conv);
    return li;
  }));
  $("title").textContent = active ? `${convKind(active) === "group" ? "Group " : ""}${convTarget(active)}` : "Pick a user or group";
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.replaceChildren(...history.lines.filter((l) => l.conv === active).map((l) => {
    const li = document.createElement("li");
    const mine = l.from === session?.userId;
    li.className = mine ? "message mine" : "message";
    li.dataset.state = l.state;
    li.dataset.cmid = l.cmid;
    if (!mine && convKind(l.conv) === "group") {
      const from = document.createElement("span");
      from.className = "from";
      from.textContent = l.from;
      li.append(from);
    }
    const text = document.createElement("span");
    text.className = "text";
    text.textContent = l.text;
    const meta = document.createElement("span");
    meta.className = "meta";
    const time = new Date(l.timestamp).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
    meta.textContent = l.state === "pending" ? "sending…" : l.state === "failed" ? `not sent: ${l.error ?? ""}` : mine ? `${time} ✓` : time;
    meta.title = l.state === "acked" ? "stored by the server" : "";
    li.append(text, meta);
    if (l.state === "failed") {
      const b = document.createElement("button");
      b.type = "button";
      b.className = "retry";
      b.textContent = "retry";
      b.onclick = () => {
        l.state = "pending";
        render();
        void transmit(l);
      };
      li.append(b);
    }
    return li;
  }));
  if (atBottom) box.scrollTop = box.scrollHeight;
  if (client) showState(client.state);
}

function open(conv: string): void {
  addConversation(conv);
  active = conv;
  unread.delete(conv);
  saveHistory();
  render();
  $<HTMLInputElement>("text").focus();
}

// ---- wiring -------------------------------------------------------------------------------------------------

$("login-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const user = $<HTMLInputElement>("login-user").value.trim();
  const password = $<HTMLInputElement>("login-password").value;
  const button = $<HTMLButtonElement>("login-submit");
  button.disabled = true;
  $("login-error").textContent = "";
  login(user, password).then((s) => {
    localStorage.setItem(SESSION_KEY, JSON.stringify(s));
    start(s);
  }, (e: unknown) => {
    $("login-error").textContent = e instanceof Error ? e.message : String(e);
  }).finally(() => (button.disabled = false));
});

$("logout").addEventListener("click", () => signOut("", true));

$("open-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const target = $<HTMLInputElement>("open-target").value.trim();
  if (!target) return;
  open(convKey($<HTMLSelectElement>("open-kind").value as ChatKind, target));
  $<HTMLInputElement>("open-target").value = "";
});

$("group-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const c = client;
  if (!c) return;
  const members = $<HTMLInputElement>("group-members").value.split(/[\s,]+/).filter((m) => m !== "");
  const groupId = $<HTMLInputElement>("group-id").value.trim();
  $("group-error").textContent = "";
  c.createGroup({ groupId: groupId || undefined, name: $<HTMLInputElement>("group-name").value.trim(), members }).then((g) => {
    ($("group-form") as HTMLFormElement).reset();
    open(convKey("group", g.groupId));
  }, (e: unknown) => {
    $("group-error").textContent = e instanceof Error ? e.message : String(e);
  });
});

$("composer").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const input = $<HTMLInputElement>("text");
  const text = input.value;
  if (text.trim() === "") return;
  input.value = "";
  send(text);
});

const saved = loadSession();
if (saved) start(saved);
else $("login-view").hidden = false;
