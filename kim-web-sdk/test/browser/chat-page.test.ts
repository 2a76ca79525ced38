// The chat page in headless Chromium against the real example server: two users chat, one goes offline and comes
// back, the server restarts mid-conversation, a second login kicks the first page, a reload keeps the history, and
// revoked tokens sign the page out with the server's reason.
// Screenshots go to target/screenshots. Without /usr/bin/chromium the suite is skipped, unless KIM_REQUIRE_BROWSER=1.
import { existsSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ExampleServer } from "../support/example-server.js";

const CHROMIUM = "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync"];
const SHOTS = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "target", "screenshots");
const WAIT = 20_000;
const STEP = 90_000;

const haveBrowser = existsSync(CHROMIUM);
if (!haveBrowser) {
  if (process.env.KIM_REQUIRE_BROWSER === "1") throw new Error(`${CHROMIUM} is missing and KIM_REQUIRE_BROWSER=1`);
  console.warn(`${CHROMIUM} is missing: the browser tests are skipped (install the Debian package chromium)`);
}

let server: ExampleServer;
let browser: Browser;
const contexts: BrowserContext[] = [];

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/** A new browser context (its own localStorage: another person), signed in as `user`. */
async function signIn(user: string): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1000, height: 700 } });
  contexts.push(context);
  const page = await context.newPage();
  page.on("pageerror", (e) => console.error(`[${user} page] ${e.message}`));
  await page.goto(server.chatPage);
  await page.fill("#login-user", user);
  await page.fill("#login-password", `${user}-password`);
  await page.click("#login-submit");
  await online(page);
  return { context, page };
}

async function online(page: Page): Promise<void> {
  await page.locator("#state[data-state=online]").waitFor({ timeout: WAIT });
}

async function open(page: Page, kind: "user" | "group", target: string): Promise<void> {
  await page.selectOption("#open-kind", kind);
  await page.fill("#open-target", target);
  await page.click("#open-submit");
  await page.locator("#title", { hasText: target }).waitFor({ timeout: WAIT });
}

async function say(page: Page, text: string): Promise<void> {
  await page.fill("#text", text);
  await page.press("#text", "Enter");
}

/** Waits for a message line with `text` in the open conversation, in `state` (default: acknowledged). */
async function sees(page: Page, text: string, state = "acked"): Promise<void> {
  await page.locator(`#messages li[data-state=${state}]`, { hasText: text }).waitFor({ timeout: WAIT });
}

const lines = (page: Page) => page.locator("#messages li .text").allTextContents();

describe.skipIf(!haveBrowser)("the chat page in Chromium", () => {
  beforeAll(async () => {
    server = await ExampleServer.start();
    for (const u of ["alice", "bob"]) await server.ensureUser(u);
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
  });

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => undefined);
    await browser?.close();
    await server?.dispose();
  });

  // One story in steps that run in order and share the pages; a failed step leaves screenshots of every page.
  let alice: { context: BrowserContext; page: Page };
  let bob: { context: BrowserContext; page: Page };
  let alice2: { context: BrowserContext; page: Page };
  const pages = () => contexts.flatMap((c) => c.pages());

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== "fail") return;
    let i = 0;
    for (const p of pages()) await shot(p, `failed-${ctx.task.name}-${i++}`).catch(() => undefined);
  });

  it("page_servedAtChat_wrongPasswordIsShown", async () => {
    const page = await (await browser.newContext()).newPage();
    const res = await page.goto(`${server.http}/chat`);
    expect(res?.url()).toBe(`${server.http}/chat/`);
    expect(res?.headers()["content-type"]).toBe("text/html; charset=utf-8");
    await page.context().close();

    const wrong = await browser.newContext();
    contexts.push(wrong);
    const w = await wrong.newPage();
    await w.goto(server.chatPage);
    await w.fill("#login-user", "alice");
    await w.fill("#login-password", "not the password");
    await w.click("#login-submit");
    await w.locator("#login-error", { hasText: "wrong user id or password" }).waitFor({ timeout: WAIT });
  }, STEP);

  it("twoPages_chat", async () => {
    alice = await signIn("alice");
    bob = await signIn("bob");
    await open(alice.page, "user", "bob");
    await say(alice.page, "hello bob");
    await sees(alice.page, "hello bob");
    await bob.page.locator("#conversations li[data-conv='user:alice']").waitFor({ timeout: WAIT });
    await bob.page.click("#conversations li[data-conv='user:alice']");
    await sees(bob.page, "hello bob");
    await say(bob.page, "hi alice");
    await sees(alice.page, "hi alice");
    await shot(alice.page, "1-alice-chats");
  }, STEP);

  it("group_madeOnThePage_bothChatInIt", async () => {
    // a group made on the page: bob sees it appear and answers in it
    await alice.page.click("aside details summary");
    await alice.page.fill("#group-id", "team");
    await alice.page.fill("#group-name", "Team");
    await alice.page.fill("#group-members", "bob");
    await alice.page.click("#group-submit");
    await alice.page.locator("#title", { hasText: "Group team" }).waitFor({ timeout: WAIT });
    await say(alice.page, "hello team");
    await sees(alice.page, "hello team");
    await bob.page.click("#conversations li[data-conv='group:team']", { timeout: WAIT });
    await sees(bob.page, "hello team");
    await say(bob.page, "hi team");
    await sees(alice.page, "hi team");
    expect(await alice.page.locator("#messages li .from").allTextContents()).toEqual(["bob"]);
    await bob.page.click("#conversations li[data-conv='user:alice']");
    await alice.page.click("#conversations li[data-conv='user:bob']");
  }, STEP);

  it("offline_sendWaits_missedMessagesArriveWhenBack", async () => {
    // bob's network drops: his send waits, alice's messages wait for him; both arrive when he is back
    await bob.context.setOffline(true);
    await bob.page.locator("#state:not([data-state=online])").waitFor({ timeout: WAIT });
    await say(bob.page, "written offline");
    await sees(bob.page, "written offline", "pending");
    await say(alice.page, "while you were away 1");
    await say(alice.page, "while you were away 2");
    await sees(alice.page, "while you were away 2");
    await shot(bob.page, "2-bob-offline");
    await bob.context.setOffline(false);
    await online(bob.page);
    await sees(bob.page, "while you were away 2");
    await sees(bob.page, "written offline");
    await sees(alice.page, "written offline");
    // the local echo stays where it was typed; everything is there once
    expect(await lines(bob.page)).toEqual(["hello bob", "hi alice", "written offline", "while you were away 1",
      "while you were away 2"]);
    await shot(bob.page, "3-bob-back-online");
  }, STEP);

  it("serverRestart_pagesReconnectAndChatGoesOn", async () => {
    // the server restarts mid-conversation: both pages reconnect by themselves
    const epoch = () => bob.page.evaluate(() => JSON.parse(localStorage.getItem("kim:position:demo/bob") ?? "{}").epoch as string);
    const epochBefore = await epoch();
    expect(epochBefore).toBeTruthy();
    await server.restart();
    for (const u of ["alice", "bob"]) await server.ensureUser(u); // a memory store forgot them; a durable one did not
    await online(alice.page);
    await online(bob.page);
    await say(alice.page, "after the restart");
    await sees(alice.page, "after the restart");
    await sees(bob.page, "after the restart");
    await say(bob.page, "still here");
    await sees(alice.page, "still here");
    // a fresh in-memory inbox has a new epoch: the page says so and keeps what it showed; a durable one does not change
    if ((await epoch()) !== epochBefore) {
      await bob.page.locator("#notice", { hasText: "inbox was reset" }).waitFor({ timeout: WAIT });
    }
    expect(await lines(bob.page)).toEqual(["hello bob", "hi alice", "written offline", "while you were away 1",
      "while you were away 2", "after the restart", "still here"]);
    await shot(bob.page, "4-after-restart");
  }, STEP);

  it("reload_resumesWithTheHistoryOnce", async () => {
    // a reload resumes: the history is there once, nothing is replayed twice
    await bob.page.reload();
    await online(bob.page);
    await bob.page.click("#conversations li[data-conv='user:alice']");
    await sees(bob.page, "still here");
    const afterReload = await lines(bob.page);
    for (const t of ["hello bob", "hi alice", "written offline", "while you were away 1", "while you were away 2",
      "after the restart", "still here"]) {
      expect(afterReload.filter((l) => l === t), t).toHaveLength(1);
    }
  }, STEP);

  it("secondLogin_kicksTheFirstPage_signOutAndInAgainSyncs", async () => {
    // alice signs in on another page: the first one is kicked and stops; the new one works
    alice2 = await signIn("alice");
    await alice.page.locator("#state[data-state=kicked]").waitFor({ timeout: WAIT });
    await alice.page.locator("#notice", { hasText: "signed in on another page" }).waitFor({ timeout: WAIT });
    expect(await alice.page.isDisabled("#text")).toBe(true);
    await open(alice2.page, "user", "bob");
    await say(alice2.page, "from the new page");
    await sees(bob.page, "from the new page");
    await shot(alice.page, "5-alice-kicked");
    await shot(alice2.page, "6-alice-second-page");

    // signing out forgets the page's copy; signing in again syncs the inbox from the server
    await alice2.page.click("#logout");
    await alice2.page.locator("#login-view").waitFor({ timeout: WAIT });
    expect(await alice2.page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes("alice")))).toEqual([]);
    await alice2.page.fill("#login-user", "alice");
    await alice2.page.fill("#login-password", "alice-password");
    await alice2.page.click("#login-submit");
    await online(alice2.page);
    await alice2.page.click("#conversations li[data-conv='user:bob']", { timeout: WAIT });
    await sees(alice2.page, "from the new page");
    expect((await lines(alice2.page)).filter((l) => l === "from the new page")).toHaveLength(1);
  }, STEP);

  it("tokensRevoked_pageIsSignedOutWithTheReason_andSignsInAgain", async () => {
    const page = alice2.page;
    const r = await server.admin("POST", "/users/alice/revoke-tokens");
    expect(r.status).toBe(200);
    await page.locator("#login-view").waitFor({ timeout: WAIT });
    await page.locator("#login-error", { hasText: "tokens revoked" }).waitFor({ timeout: WAIT });
    await shot(page, "7-alice-tokens-revoked");
    await page.fill("#login-user", "alice");
    await page.fill("#login-password", "alice-password");
    await page.click("#login-submit");
    await online(page);
    await page.click("#conversations li[data-conv='user:bob']", { timeout: WAIT });
    await sees(page, "from the new page");
  }, STEP);
});
