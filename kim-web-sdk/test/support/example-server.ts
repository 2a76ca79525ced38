// Starts the real example server (kim-examples' kim-server.jar) as a child process on free loopback ports, with its
// own data and log directory, and talks to its admin API. Restarts keep the ports and the data directory.
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** Where the jar is: `KIM_SERVER_JAR` (set by the Maven build), else kim-examples/target/kim-server.jar. */
export const serverJar = resolve(process.env.KIM_SERVER_JAR ?? join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..", "kim-examples", "target", "kim-server.jar"));

const JWT_SECRET = "kim-web-sdk-test-secret-0123456789abcdef";

async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

export class ExampleServer {
  readonly adminKey = randomBytes(16).toString("hex");
  readonly dataDir = mkdtempSync(join(tmpdir(), "kim-web-sdk-"));
  private proc?: ChildProcess;
  private exited?: Promise<void>;
  private starts = 0;

  private constructor(readonly httpPort: number, readonly wsPort: number, readonly tcpPort: number) {}

  /** Starts a server; fails with the jar's path when it was not built. */
  static async start(): Promise<ExampleServer> {
    if (!existsSync(serverJar)) {
      throw new Error(`${serverJar} is missing: build it first (mvn -B -q package -DskipTests), or set KIM_SERVER_JAR`);
    }
    const s = new ExampleServer(await freePort(), await freePort(), await freePort());
    await s.launch();
    return s;
  }

  get http(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  get ws(): string {
    return `ws://127.0.0.1:${this.wsPort}/ws`;
  }

  /** The page's address, told where the WebSocket port is. */
  get chatPage(): string {
    return `${this.http}/chat/?ws=${encodeURIComponent(this.ws)}`;
  }

  private get logFile(): string {
    return join(this.dataDir, `server-${this.starts}.out`);
  }

  private async launch(): Promise<void> {
    this.starts++;
    const out = createWriteStream(this.logFile);
    const proc = spawn("java", ["-Xmx256m", "-XX:TieredStopAtLevel=1", "-jar", serverJar], {
      env: {
        ...process.env,
        KIM_HOST: "127.0.0.1",
        KIM_HTTP_PORT: String(this.httpPort),
        KIM_WS_PORT: String(this.wsPort),
        KIM_TCP_PORT: String(this.tcpPort),
        KIM_DATA_DIR: join(this.dataDir, "data"),
        KIM_LOG_DIR: join(this.dataDir, "logs"),
        KIM_ADMIN_KEY: this.adminKey,
        KIM_JWT_SECRET: JWT_SECRET,
        KIM_PASSWORD_ITERATIONS: "1000",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    proc.stdout!.pipe(out);
    proc.stderr!.pipe(out);
    this.proc = proc;
    this.exited = new Promise((ok) => proc.once("exit", () => ok()));
    let dead = false;
    void this.exited.then(() => (dead = true));
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (dead) throw new Error(`the example server exited at start:\n${this.log()}`);
      try {
        const r = await fetch(`${this.http}/health`);
        if (r.status === 200) return;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`the example server did not become healthy in 60 s:\n${this.log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The tail of the current process's output, for failure messages. */
  log(): string {
    try {
      return readFileSync(this.logFile, "utf8").split("\n").slice(-40).join("\n");
    } catch {
      return "(no output)";
    }
  }

  /** Stops the process (SIGTERM: a graceful shutdown, clients are told the server is going away). */
  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null) return;
    p.kill("SIGTERM");
    const killer = setTimeout(() => p.kill("SIGKILL"), 15_000);
    await this.exited;
    clearTimeout(killer);
  }

  /** Stops and starts again on the same ports and data directory. */
  async restart(): Promise<void> {
    await this.stop();
    await this.launch();
  }

  /** Stops and removes the data directory. */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  /** One admin API call; the admin key goes with every request. */
  async admin(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const r = await fetch(this.http + path, {
      method,
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.adminKey}` },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: r.status, json: (await r.json().catch(() => ({}))) as Record<string, unknown> };
  }

  /** Creates the user; one that exists already (a durable store after a restart) is fine. */
  async ensureUser(userId: string, password = `${userId}-password`): Promise<void> {
    const r = await this.admin("POST", "/users", { userId, nickname: userId, password });
    if (r.status !== 201 && r.status !== 409) throw new Error(`POST /users ${userId}: ${r.status} ${JSON.stringify(r.json)}`);
  }

  /** A token from the password login. */
  async token(userId: string, password = `${userId}-password`, deviceType = "web"): Promise<string> {
    const r = await this.admin("POST", "/login", { userId, password, deviceType });
    if (r.status !== 200) throw new Error(`POST /login ${userId}: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.token as string;
  }
}
