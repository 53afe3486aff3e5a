// main.js - the opener page: the referent opens a case file with their age
// identity, reads it, downloads the pieces and writes an encrypted reply;
// or, in « create my key » mode, makes their key.  No network: every
// byte stays in this page (the CSP of page.html forbids any request).
// Text from the case is only ever put in the page with textContent.

import { OpenError, makeReply, newIdentity, openCase, fingerprint, parseRelayKey } from "./envelope.js";
import { enrolPanel } from "./enrol.js";

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") e.className = v;
    else e.setAttribute(k, v);
  }
  for (const k of kids) e.append(k);
  return e;
}

function config() {
  const node = $("fsrelay-config");
  let cfg;
  try {
    cfg = JSON.parse(node ? node.textContent : "");
  } catch {
    cfg = null;
  }
  if (!cfg || typeof cfg !== "object" || !cfg.signing_key) {
    throw new OpenError("config", "Cette page n'a pas été préparée par un relais (configuration "
      + "absente) : utilisez la page jointe au courriel du relais.");
  }
  return cfg;
}

function readFile(input) {
  const f = input.files && input.files[0];
  if (!f) return Promise.resolve(null);
  return f.arrayBuffer().then((b) => new Uint8Array(b));
}

function download(name, type, data) {
  const url = URL.createObjectURL(new Blob([data], { type }));
  const a = el("a", { href: url, download: name, class: "button" }, `Enregistrer ${name}`);
  return a;
}

function status(kind, text) {
  const box = $("status");
  box.className = "status " + kind;
  box.textContent = text;
  box.hidden = false;
}

function personText(docs) {
  const p = docs.find((d) => d.name === "personne.txt");
  return p ? new TextDecoder().decode(p.data) : null;
}

function showCase(cfg, c) {
  const out = $("case");
  out.replaceChildren();
  out.append(el("h2", {}, `Dossier ${c.ref}`));
  out.append(el("p", { class: "small" }, `Envoyé par le relais le ${c.time.replace("T", " à ").replace("Z", " (UTC)")}.`));
  const person = personText(c.documents);
  if (person !== null) {
    out.append(el("h3", {}, "Personne concernée"), el("pre", { id: "person" }, person));
  }
  out.append(el("h3", {}, "Description de la situation"), el("pre", { id: "description" }, c.description));
  const list = el("ul", { id: "pieces" });
  for (const d of c.documents) {
    list.append(el("li", {}, download(d.name, d.type || "application/octet-stream", d.data),
      el("span", { class: "small" }, ` ${d.data.length} octets, empreinte SHA-256 ${d.sha256.slice(0, 16)}…`)));
  }
  out.append(el("h3", {}, "Pièces jointes"), list);
  out.hidden = false;
  $("reply").hidden = false;
  $("reply-to").textContent = cfg.reply_address;
}

async function onOpen(cfg) {
  $("case").hidden = true;
  $("reply").hidden = true;
  $("reply-out").replaceChildren();
  try {
    const idFile = await readFile($("identity-file"));
    const idText = idFile ? new TextDecoder().decode(idFile) : $("identity-text").value;
    if (!idText.trim()) throw new OpenError("identity", "Choisissez d'abord votre fichier de clé (ou collez la clé).");
    const age = await readFile($("case-file"));
    if (!age) throw new OpenError("notage", "Choisissez le fichier du dossier (pièce jointe .age du courriel).");
    status("work", "Déchiffrement et vérification…");
    const c = await openCase(idText, age, cfg.signing_key);
    window.fsrelayOpened = c;
    status("good", `Dossier authentique : signé par le relais ${cfg.relay_name} (clé ${c.relayFingerprint.slice(0, 23)}…), `
      + `description et ${c.documents.length} pièce${c.documents.length > 1 ? "s" : ""} vérifiées, aucune modification.`);
    showCase(cfg, c);
  } catch (e) {
    status("bad", e instanceof OpenError ? e.message : "Le dossier ne peut pas être ouvert : " + String(e && e.message || e));
  }
}

async function onReply(cfg) {
  const out = $("reply-out");
  out.replaceChildren();
  const text = $("reply-text").value;
  if (!text.trim()) {
    out.append(el("p", { class: "bad" }, "Écrivez d'abord votre réponse."));
    return;
  }
  try {
    const r = await makeReply(text, cfg, window.fsrelayOpened);
    const name = `reponse-${window.fsrelayOpened.ref}.eml`;
    out.append(
      el("p", {}, "Votre réponse est chiffrée pour le relais : seul le relais peut la lire."),
      el("p", {}, "1. ", download(name, "message/rfc822", r.eml),
        " puis ouvrez ce fichier : votre messagerie le présente comme un brouillon prêt ; cliquez sur Envoyer."),
      el("p", {}, "2. Ou bien : ", el("a", { href: r.mailto, id: "mailto", class: "button" }, "Ouvrir un nouveau message"),
        " (le texte chiffré est dans le corps du message ; ne le modifiez pas)."),
    );
  } catch (e) {
    out.append(el("p", { class: "bad" }, e instanceof OpenError ? e.message : String(e)));
  }
}

function start() {
  let cfg;
  try {
    cfg = config();
    parseRelayKey(cfg.signing_key);
  } catch (e) {
    status("bad", e.message);
    return;
  }
  for (const n of document.querySelectorAll(".relay-name")) n.textContent = cfg.relay_name;
  $("relay-fpr").textContent = fingerprint(parseRelayKey(cfg.signing_key));
  if (!window.isSecureContext || !window.crypto || !crypto.getRandomValues) {
    status("bad", "Ce navigateur ne permet pas le chiffrement dans cette page. Ouvrez-la avec un "
      + "navigateur récent (Edge, Firefox, Chrome) depuis le fichier enregistré.");
    return;
  }
  $("open").addEventListener("click", () => onOpen(cfg));
  $("make-reply").addEventListener("click", () => onReply(cfg));
  enrolPanel(cfg, { el, download, newIdentity, fingerprint });
  if (cfg.mode === "enrol") {
    // The invitation's copy: creating the key comes first, and the same
    // page opens the cases afterwards (attach_opener = no keeps only it).
    $("enrol").hidden = false;
    $("opener").before($("enrol"));
  }
  $("show-enrol").addEventListener("click", () => { $("enrol").hidden = false; });
}

start();
