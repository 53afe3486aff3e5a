// formats.mjs - the opener's own reader (opener/src/envelope.js, the code
// the committed page is built from) on case files of each envelope version
// (1: pieces in base64, 2: raw bytes), in node, without a browser.  Used by
// tests/integration/deliver.sh:
//   node tests/opener/formats.mjs KEY RELAY_PUB CASE.age DESCRIPTION PIECE...
// Prints one JSON line per check ({"ok":bool,"what":...}).
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { openCase } from "../../opener/src/envelope.js";

const [keyPath, pubPath, agePath, descPath, ...pieces] = process.argv.slice(2);
const check = (ok, what, detail) => console.log(JSON.stringify({ ok: !!ok, what, detail: ok ? undefined : detail }));
try {
  const c = await openCase(readFileSync(keyPath, "utf8"), new Uint8Array(readFileSync(agePath)),
    readFileSync(pubPath, "utf8").trim());
  check(c.description === readFileSync(descPath, "utf8"), "the description is read", c.description);
  const docs = c.documents.filter((d) => d.name !== "personne.txt");
  check(docs.length === pieces.length, "every piece is there", docs.map((d) => d.name).join(","));
  pieces.forEach((p, i) => {
    const d = docs[i] || { name: "", data: new Uint8Array(0) };
    check(d.name === basename(p) && Buffer.compare(Buffer.from(d.data), readFileSync(p)) === 0,
      `piece ${basename(p)} byte for byte`, d.name);
  });
} catch (e) {
  check(false, "the case opens", String(e && e.message || e));
}
