// drive.mjs - Playwright (playwright-core, Debian's chromium) drives the
// opener page from file:// as a referent would.  Used by
// tests/integration/opener.sh:
//   node tests/opener/drive.mjs PAGE.html CASE.age KEY PIECE OTHERKEY OUTDIR
// Prints one JSON line per check ({"ok":bool,"what":...}), and a last
// line {"steps":N,"seconds":S} (the referent's actions in the page and the
// time from opening the page to the description shown).  OUTDIR receives
// the screenshots and reply.eml (the encrypted reply the page prepared).
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, basename } from "node:path";
import { pathToFileURL } from "node:url";

const [pagePath, agePath, keyPath, piecePath, otherKey, outDir] = process.argv.slice(2);
const check = (ok, what, detail) => console.log(JSON.stringify({ ok: !!ok, what, detail: ok ? undefined : detail }));
const requests = [], refused = [];
const profile = mkdtempSync(join(tmpdir(), "fsr-chromium-"));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: "/usr/bin/chromium",
  headless: true,
  acceptDownloads: true,
  viewport: { width: 1000, height: 900 },
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
ctx.on("request", (r) => requests.push(r.url()));
const watch = (page) => page.on("console", (m) => {
  if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
});

async function openPage(path) {
  const page = await ctx.newPage();
  watch(page);
  await page.goto(pathToFileURL(path).href);
  return page;
}

async function openCase(page, key, age) {
  await page.setInputFiles("#identity-file", key);
  await page.setInputFiles("#case-file", age);
  await page.click("#open");
  await page.waitForSelector("#status.good, #status.bad", { timeout: 30000 });
  return { cls: await page.getAttribute("#status", "class"), text: await page.textContent("#status") };
}

try {
  // 1. the case as received: decrypt, verify, show, download.
  const t0 = Date.now();
  const page = await openPage(pagePath);
  await page.screenshot({ path: join(outDir, "1-page.png"), fullPage: true });
  const t1 = Date.now();
  const st = await openCase(page, keyPath, agePath);
  await page.waitForSelector("#description");
  const seconds = (Date.now() - t1 + (t1 - t0)) / 1000;
  check(st.cls.includes("good"), "the case opens and verifies", st.text);
  check(/signé par le relais/.test(st.text) && /aucune modification/.test(st.text),
    "the verification is stated in plain French", st.text);
  const desc = await page.textContent("#description");
  check(/attend depuis six mois/.test(desc), "the description is shown", desc);
  const person = await page.textContent("#person");
  check(/Nom : Quibrante-Zed/.test(person) && /Prénom : Ornella/.test(person), "the person is shown", person);
  const pname = basename(piecePath);
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click(`a[download="${pname}"]`)]);
  const got = readFileSync(await dl.path());
  check(Buffer.compare(got, readFileSync(piecePath)) === 0, "the piece downloads byte for byte",
    `${got.length} bytes`);
  await page.screenshot({ path: join(outDir, "2-dossier-ouvert.png"), fullPage: true });

  // 2. the encrypted reply, as a ready .eml.
  await page.fill("#reply-text", "Bonjour, dossier traité : mot Opalereponse. Cordialement.");
  await page.click("#make-reply");
  const link = await page.waitForSelector('a[download$=".eml"]');
  const [rd] = await Promise.all([page.waitForEvent("download"), link.click()]);
  writeFileSync(join(outDir, "reply.eml"), readFileSync(await rd.path()));
  const mailto = await page.getAttribute("#mailto", "href");
  check(mailto.startsWith("mailto:") && mailto.includes("BEGIN%20AGE%20ENCRYPTED%20FILE"),
    "a mailto: with the armored reply is offered", mailto.slice(0, 80));
  await page.screenshot({ path: join(outDir, "3-reponse.png"), fullPage: true });

  // 3. a flipped byte: refused, nothing shown.
  const age = readFileSync(agePath);
  age[Math.floor(age.length / 2)] ^= 0x01;
  const flipped = join(outDir, "flipped.age");
  writeFileSync(flipped, age);
  const p2 = await openPage(pagePath);
  const s2 = await openCase(p2, keyPath, flipped);
  check(s2.cls.includes("bad") && /abîmé ou a été modifié/.test(s2.text), "a flipped byte is refused clearly", s2.text);
  check(await p2.isHidden("#case"), "nothing of a refused case is shown", "");
  await p2.screenshot({ path: join(outDir, "4-octet-modifie.png"), fullPage: true });

  // 4. a page with another relay's key: the signature is refused.
  const html = readFileSync(pagePath, "utf8");
  const other = Buffer.alloc(32, 7).toString("base64");
  const forged = html.replace(/"signing_key":"[A-Za-z0-9+/=]{44}"/, `"signing_key":"${other}"`);
  check(forged !== html, "the test page carries another relay key", "");
  const forgedPath = join(outDir, "autre-relais.html");
  writeFileSync(forgedPath, forged);
  const p3 = await openPage(forgedPath);
  const s3 = await openCase(p3, keyPath, agePath);
  check(s3.cls.includes("bad") && /Signature du relais invalide/.test(s3.text), "a wrong relay key is refused clearly", s3.text);
  await p3.screenshot({ path: join(outDir, "5-autre-relais.png"), fullPage: true });

  // 5. somebody else's key.
  const p4 = await openPage(pagePath);
  const s4 = await openCase(p4, otherKey, agePath);
  check(s4.cls.includes("bad") && /pas chiffré pour cette clé/.test(s4.text), "another referent's key is refused clearly", s4.text);

  const net = requests.filter((u) => !u.startsWith("file://") && !u.startsWith("blob:") && !u.startsWith("data:"));
  check(requests.length > 0 && net.length === 0, "the page makes no network request", net.join(" "));
  check(refused.length === 0, "the page's own CSP refuses nothing it needs", refused.join(" | "));
  // The referent's actions in the page: open it, choose the key, choose the
  // .age file, click « Ouvrir le dossier ».
  console.log(JSON.stringify({ steps: 4, seconds }));
} catch (e) {
  check(false, "the browser run finished", String(e && e.stack || e));
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
