// enrol.mjs - Playwright (playwright-core, Debian's chromium) drives the
// opener page from file:// as a referent enrolling would.  Used by
// tests/integration/enrol.sh:
//   node tests/opener/enrol.mjs create PAGE.html OUTDIR
//     the invitation's page: « Créer ma clé », the key file and the reply
//     mail saved in OUTDIR (ma-cle-fsrelay.key, inscription.eml), the
//     printed copy (QR code), screenshots; a line {"recipient","phone",
//     "steps","seconds"}.
//   node tests/opener/enrol.mjs open PAGE.html CASE.age KEY OUTDIR TEXT
//     a case page opened with that key: the description holds TEXT.
// Prints one JSON line per check ({"ok":bool,"what":...}); no network
// request is allowed (Playwright's request log).
import { chromium } from "playwright-core";
import { mkdtempSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [mode, pagePath, ...rest] = process.argv.slice(2);
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

async function openPage(path) {
  const page = await ctx.newPage();
  page.on("console", (m) => {
    if (/Content Security Policy|Refused to/i.test(m.text())) refused.push(m.text());
  });
  page.on("pageerror", (e) => refused.push("erreur de la page : " + e.message));
  await page.goto(pathToFileURL(path).href);
  return page;
}

async function save(page, selector, path) {
  const [dl] = await Promise.all([page.waitForEvent("download"), page.click(selector)]);
  const data = readFileSync(await dl.path());
  writeFileSync(path, data);
  return { name: dl.suggestedFilename(), data };
}

async function create(outDir) {
  const t0 = Date.now();
  const page = await openPage(pagePath);
  check(await page.isVisible("#enrol"), "the invitation's page opens on « Créer ma clé »", "");
  const first = await page.evaluate(() => document.querySelector("section:not([hidden])").id);
  check(first === "enrol", "the key comes first, the opener after it", first);
  check(await page.isVisible("#opener"), "the same page also opens cases", "");
  await page.screenshot({ path: join(outDir, "inscription-1-page.png"), fullPage: true });
  await page.click("#make-key");
  await page.waitForSelector("#enrol-recipient, #enrol-out .bad", { timeout: 15000 }).catch(() => {});
  if (refused.length) throw new Error(refused.join(" | "));
  const recipient = (await page.textContent("#enrol-recipient")).trim();
  const phone = (await page.textContent("#enrol-phone")).trim();
  check(/^age1[02-9ac-hj-np-z]{58}$/.test(recipient), "a public key age1… is shown", recipient);
  check(/^[0-9a-f]{4}( [0-9a-f]{4}){4}$/.test(phone), "the fingerprint to read out is shown in five groups", phone);
  const key = await save(page, 'a[download="ma-cle-fsrelay.key"]', join(outDir, "ma-cle-fsrelay.key"));
  const text = key.data.toString("utf8");
  check(text.includes(`# public key: ${recipient}`), "the key file names its public key", text.slice(0, 120));
  const eml = await save(page, 'a[download="inscription.eml"]', join(outDir, "inscription.eml"));
  const seconds = (Date.now() - t0) / 1000;
  check(eml.data.length > 0, "the reply mail is offered as a file", "");
  const mailto = await page.getAttribute("#enrol-mailto", "href");
  check(mailto.startsWith("mailto:") && mailto.includes(recipient), "a mailto: with the public key is offered",
    mailto.slice(0, 80));
  check(!mailto.includes(["AGE-SECRET-", "KEY-1"].join("")), "the mailto: carries no secret key", "");
  await page.screenshot({ path: join(outDir, "inscription-2-cle-creee.png"), fullPage: true });
  await page.emulateMedia({ media: "print" });
  check(await page.isVisible("#paper-qr"), "the printed copy holds the QR code", "");
  const paper = await page.textContent("#paper");
  check(paper.includes(recipient) && paper.includes(phone), "the printed copy names the public key and the fingerprint", "");
  await page.screenshot({ path: join(outDir, "inscription-3-copie-papier.png"), fullPage: true });
  // The referent's actions: open the page, « Créer ma clé », save the key,
  // save (or open) the reply mail, send it.
  console.log(JSON.stringify({ recipient, phone, steps: 5, seconds }));
}

async function open(agePath, keyPath, outDir, want) {
  const page = await openPage(pagePath);
  await page.setInputFiles("#identity-file", keyPath);
  await page.setInputFiles("#case-file", agePath);
  await page.click("#open");
  await page.waitForSelector("#status.good, #status.bad", { timeout: 30000 });
  const st = await page.textContent("#status");
  check((await page.getAttribute("#status", "class")).includes("good"), "the case opens with the enrolled key", st);
  const desc = await page.textContent("#description").catch(() => "");
  check(desc.includes(want), "the description is shown", desc);
  await page.screenshot({ path: join(outDir, "inscription-4-premier-dossier.png"), fullPage: true });
}

try {
  if (mode === "create") await create(rest[0]);
  else await open(rest[0], rest[1], rest[2], rest[3]);
  const net = requests.filter((u) => !u.startsWith("file://") && !u.startsWith("blob:") && !u.startsWith("data:"));
  check(requests.length > 0 && net.length === 0, "the page makes no network request", net.join(" "));
  check(refused.length === 0, "no script error, the page's own CSP refuses nothing it needs",
    refused.join(" | "));
} catch (e) {
  check(false, "the browser run finished", String(e && e.stack || e));
} finally {
  await ctx.close();
  rmSync(profile, { recursive: true, force: true });
}
