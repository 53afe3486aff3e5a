// enrol.js - « créer ma clé »: a new X25519 age identity made in this page
// (crypto.getRandomValues), saved by the referent as a file and on paper
// (QR code + text, for the print dialog), and a ready reply to the relay
// carrying only the public key age1... and the invitation token.

import { encode as qrEncode } from "uqr";
import { base64, bech32 } from "@scure/base";

const $ = (id) => document.getElementById(id);

function qrCanvas(text) {
  const qr = qrEncode(text, { ecc: "M", border: 2 });
  const scale = 4;
  const c = document.createElement("canvas");
  c.width = c.height = qr.size * scale;
  const g = c.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, c.width, c.height);
  g.fillStyle = "#000";
  qr.data.forEach((row, y) => row.forEach((on, x) => { if (on) g.fillRect(x * scale, y * scale, scale, scale); }));
  c.id = "paper-qr";
  return c;
}

function enrolMail(cfg, recipient) {
  const token = cfg.invitation || "";
  const subject = `Inscription au relais [${token}]`;
  const body = `Clé publique du référent (à transmettre au relais) :\r\n\r\n${recipient}\r\n\r\n`
    + `Invitation : ${token}\r\n`;
  const eml = [
    `To: ${cfg.reply_address}`,
    `Subject: ${subject}`,
    "X-Unsent: 1",
    "MIME-Version: 1.0",
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    base64.encode(new TextEncoder().encode(body)).replace(/.{76}/g, "$&\r\n"),
    "",
  ].join("\r\n");
  const mailto = `mailto:${cfg.reply_address}?subject=${encodeURIComponent(subject)}&body=${encodeURIComponent(body)}`;
  return { eml, mailto };
}

// The first 80 bits of the key's fingerprint in groups of four, as the
// relay's `referents list` shows them: what the administrator reads back
// on the phone before pinning the key.
export function phoneForm(fpr) {
  return fpr.slice(7, 27).match(/.{4}/g).join(" ");
}

export function enrolPanel(cfg, { el, download, newIdentity, fingerprint }) {
  $("make-key").addEventListener("click", async () => {
    const out = $("enrol-out");
    out.replaceChildren();
    const { secret, recipient } = await newIdentity();
    const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
    const file = `# created: ${now}\n# public key: ${recipient}\n# relais : ${cfg.relay_name}\n${secret}\n`;
    const m = enrolMail(cfg, recipient);
    const phone = phoneForm(fingerprint(bech32.fromWords(bech32.decode(recipient).words)));
    window.fsrelayEnrolled = { recipient, phone };
    out.append(
      el("p", {}, "Votre clé est créée dans cette page ; elle n'a été envoyée nulle part."),
      el("p", {}, "1. ", download("ma-cle-fsrelay.key", "text/plain", file),
        " : rangez ce fichier dans vos documents personnels. Sans lui, vous ne pourrez pas ouvrir les dossiers."),
      el("p", {}, "2. Copie papier (conseillée) : ", el("button", { id: "print-key", type: "button" }, "Imprimer la clé"),
        " puis rangez la feuille en lieu sûr."),
      el("p", {}, "3. Envoyez votre clé publique au relais : ",
        download("inscription.eml", "message/rfc822", m.eml), " (ouvrez-le puis cliquez sur Envoyer) ou ",
        el("a", { href: m.mailto, id: "enrol-mailto", class: "button" }, "Ouvrir un nouveau message"), "."),
      el("p", {}, "Votre clé publique (elle peut être lue par tous) : ", el("code", { id: "enrol-recipient" }, recipient)),
      el("p", {}, "4. L'administrateur du relais vous appellera pour vérifier l'empreinte de cette clé ; "
        + "il ne l'utilisera qu'après cet appel. Lisez-lui ces cinq groupes : ",
        el("strong", { id: "enrol-phone", class: "phone" }, phone)),
    );
    const paper = $("paper");
    paper.replaceChildren(
      el("h2", {}, `Clé privée fsrelay — relais ${cfg.relay_name}`),
      el("p", {}, `Créée le ${now}. À conserver sous clé ; ne jamais la transmettre.`),
      qrCanvas(secret),
      el("pre", {}, secret),
      el("p", {}, `Clé publique : ${recipient}`),
      el("p", {}, `Empreinte à lire à l'administrateur : ${phone}`),
    );
    $("print-key").addEventListener("click", () => window.print());
  });
}
