// Generates src/gen/protocol.js and its .d.ts from kim-core's protocol.proto, the single source of the protocol.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const proto = join(root, "..", "kim-core", "src", "main", "proto", "kim", "v1", "protocol.proto");
const out = join(root, "src", "gen", "protocol.js");
const bin = join(root, "node_modules", ".bin");
mkdirSync(dirname(out), { recursive: true });
execFileSync(join(bin, "pbjs"), [
  "-t", "static-module", "-w", "esm", "--dependency", "protobufjs/minimal.js",
  "--force-number", "--no-verify", "--no-convert", "--no-delimited", "--no-typeurl", "--no-service",
  "-o", out, proto,
], { stdio: "inherit" });
execFileSync(join(bin, "pbts"), ["-o", out.replace(/\.js$/, ".d.ts"), out], { stdio: "inherit" });
