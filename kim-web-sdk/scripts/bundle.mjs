// Copies the generated protocol module next to the compiled ESM, and bundles the browser build.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
mkdirSync(join(root, "dist", "esm", "gen"), { recursive: true });
for (const f of ["protocol.js", "protocol.d.ts"]) {
  copyFileSync(join(root, "src", "gen", f), join(root, "dist", "esm", "gen", f));
}

// protobufjs looks for the optional "long" package; with it absent, 64-bit fields decode as numbers.
const noLong = {
  name: "no-long",
  setup(b) {
    b.onResolve({ filter: /^long$/ }, () => ({ path: "long", namespace: "no-long" }));
    b.onLoad({ filter: /.*/, namespace: "no-long" }, () => ({ contents: "module.exports = null;", loader: "js" }));
  },
};
const common = { bundle: true, minify: true, sourcemap: true, target: "es2020", plugins: [noLong], legalComments: "none" };

await build({ ...common, entryPoints: [join(root, "src", "index.ts")], format: "esm", outfile: join(root, "dist", "browser", "kim.min.js") });
await build({ ...common, entryPoints: [join(root, "src", "index.ts")], format: "iife", globalName: "Kim", outfile: join(root, "dist", "browser", "kim.iife.min.js") });

// The chat page: one script with the SDK inside, next to its HTML and CSS (served by the example server at /chat/).
const page = join(root, "dist", "page");
rmSync(page, { recursive: true, force: true });
mkdirSync(page, { recursive: true });
await build({ ...common, entryPoints: [join(root, "page", "chat.ts")], format: "esm", sourcemap: false, outfile: join(page, "chat.js") });
for (const f of ["index.html", "chat.css"]) copyFileSync(join(root, "page", f), join(page, f));
