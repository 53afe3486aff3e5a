/*
 * outbox - see outbox.h.  Runs in `fsrelay serve`; the only code that hands
 * case data to the network: every case mail leaves through deliver(), after
 * the mandate check (mandate_at_send), and was built by build_mail(), which
 * scans its clear parts first (leaks()), whether it was prepared when queued
 * (outbox_prepare) or is built when due (build_now).
 */
#include "relay/outbox.h"
#include "relay/port/clock.h"
#include "relay/port/random.h"
#include "relay/daemon.h"
#include "relay/calendar.h"
#include "relay/case.h"
#include "relay/age.h"
#include "relay/breach.h"
#include "relay/directory.h"
#include "relay/enrol.h"
#include "relay/envelope.h"
#include "relay/instance.h"
#include "relay/opener.h"
#include "relay/outmail.h"
#include "relay/sealed.h"
#include "relay/token.h"
#include "relay/tick.h"
#include "relay/transition.h"
#include "relay/vault.h"
#include "relay/port/transport.h"
#include "relay/port/store_cases.h"
#include "relay/port/store_deliveries.h"
#include "relay/port/store_directory.h"
#include "keys/keystore.h"

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ERRLEN		1024
#define BUILT_FOR_MAX	1024
#define WORKERS_FROM	16	/* due deliveries from which a pass forks */
#define WORKERS_MAX	8	/* outbox_workers' upper bound (relay/config.c) */
#define WORKER_FD_SCAN	1024	/* inherited descriptors looked at */
#define ALERT_PAGE	256	/* long-queued cases read per query */
#define OUTBOX_PROBE_TIMEOUT	15	/* s, the intake's question to the server */

/* Base64 in lines of 76 characters and CRLF (relay/b64: b64_mime_lines). */
static size_t
b64_lines_len(size_t n)
{
	return (n + 56) / 57 * 78;
}

/* What building mails needs, loaded once for all of them. */
struct builder {
	struct instance		*in;
	const struct directory	*dir;	/* the instance's */
	const char		*domain;	/* of the relay address */
	char			 sign_fp[KEY_FINGERPRINT_LEN];
	char			 sign_b64[64];
	char			 relay_rcpt[128];	/* age1... of the relay */
	struct buf		 opener;	/* the page attached beside the .age */
};

/* What a pass keeps for all its mails. */
struct pass {
	struct instance		*in;
	struct builder		 b;
	struct smtp_conf	 smtp;
	struct smtp_session	*session;	/* one connection per pass (smtps) */
	char			*password;
	size_t			 password_len;
	struct outbox_stats	*stats;
	unsigned long long	 size_noted;	/* SIZE last recorded */
	int			 login_refused;	/* the server refused the login */
};

/* A send the server refused at login: the mail is left due, untouched,
 * and the pass sends nothing more (outbox_run backs off). */
static int
login_refused(struct pass *p, enum smtp_status st, const char *err)
{
	if (st != SMTP_TEMPFAIL || strstr(err, SMTP_ERR_LOGIN_DENIED) == NULL)
		return 0;
	p->login_refused = 1;
	p->stats->login_refused++;
	return 1;
}

/* The case's content, decrypted for sealing to one recipient. */
struct material {
	struct person		 person;
	struct buf		 description;
	struct envelope_doc	*docs;
	struct buf		*doc_data;
	char			**doc_names;
	char			(*doc_sha)[65];	/* the store's digests */
	size_t			 n_docs;
};

int64_t
outbox_backoff(int attempts)
{
	static const int64_t steps[] = { 60, 300, 900, 1800, 3600, 7200, 14400 };

	if (attempts < 1)
		return steps[0];
	if ((size_t)attempts > FS_ARRAY_LEN(steps))
		return steps[FS_ARRAY_LEN(steps) - 1];
	return steps[attempts - 1];
}

static void
material_free(struct material *m)
{
	size_t i;

	buf_free(&m->description);
	for (i = 0; i < m->n_docs; i++) {
		buf_free(&m->doc_data[i]);
		free(m->doc_names[i]);
	}
	free(m->doc_data);
	free(m->doc_names);
	free(m->doc_sha);
	free(m->docs);
	sodium_memzero(&m->person, sizeof(m->person));
	memset(m, 0, sizeof(*m));
}

/*
 * The person's identity, as the referent needs it to find the file: a
 * text part of its own (PERSON_PART_NAME) inside the sealed envelope, never
 * in a clear part.  escalate refuses a piece of that name.
 */
static void
person_part(struct material *m)
{
	const struct person *p = &m->person;
	size_t k = m->n_docs++;
	struct buf *b = &m->doc_data[k];

	buf_init(b, 8192);
	buf_printf(b, "Personne concernée par le dossier\n\nNom : %s\nPrénom : %s\n", p->nom,
	    p->prenom);
	if (p->ne_le[0])
		buf_printf(b, "Date de naissance : %s\n", p->ne_le);
	if (p->id_partenaire[0])
		buf_printf(b, "Identifiant chez le partenaire : %s\n", p->id_partenaire);
	if (p->sollicite_le[0])
		buf_printf(b, "Demande de la personne le : %s\n", p->sollicite_le);
	buf_printf(b, "Mandat signé le : %s (valable un an)\n", p->mandat_signe_le);
	if (p->mandat_sha256[0])
		buf_printf(b, "Empreinte SHA-256 du mandat signé : %s\n", p->mandat_sha256);
	m->doc_names[k] = xstrdup(PERSON_PART_NAME);
	m->docs[k].name = m->doc_names[k];
	m->docs[k].media_type = xstrdup("text/plain");
	m->docs[k].data = (const uint8_t *)b->p;
	m->docs[k].len = b->len;
}

/*
 * The case's material for the mail of message message_id: 0; -1 with the
 * reason in err (sealed data that does not open: the mail can never be
 * built); -2 with the reason when the store could not be read (the
 * delivery is retried, the reason kept in its last_error).
 */
static int
material_load(struct instance *in, const uint8_t *dek, const struct case_row *c,
    int64_t message_id, struct material *m, char *err, size_t errlen)
{
	struct document_row *d = NULL;
	struct buf person;
	size_t n = 0, i;
	int r = -1;

	memset(m, 0, sizeof(*m));
	buf_init(&person, 8192);
	buf_init(&m->description, CASE_DESCRIPTION_MAX + 1);
	if (sealed_get(in, dek, "cases", "person", c->id, &person, 8192) != 0 ||
	    person_decode(&m->person, person.p, person.len) < 0 ||
	    sealed_get(in, dek, "messages", "text", message_id, &m->description,
	    CASE_DESCRIPTION_MAX) != 0) {
		snprintf(err, errlen, "données du dossier illisibles (altérées ?)");
		goto out;
	}
	if (store_document_list(in->st, c->id, message_id, &d, &n) < 0) {
		snprintf(err, errlen, "lecture des pièces jointes du dossier : base : %s",
		    store_errmsg(in->st));
		r = -2;
		goto out;
	}
	/* One more slot: the person's identity travels as its own part. */
	m->docs = xcalloc(n + 1, sizeof(*m->docs));
	m->doc_data = xcalloc(n + 1, sizeof(*m->doc_data));
	m->doc_names = xcalloc(n + 1, sizeof(*m->doc_names));
	m->doc_sha = xcalloc(n + 1, sizeof(*m->doc_sha));
	person_part(m);
	for (i = 0; i < n; i++) {
		struct buf name;
		size_t k = m->n_docs++;

		buf_init(&name, 4096);
		buf_init(&m->doc_data[k], CASE_PIECE_MAX);
		if (sealed_get(in, dek, "documents", "name", d[i].id, &name, 4096) != 0 ||
		    sealed_get(in, dek, "documents", "content", d[i].id, &m->doc_data[k],
		    CASE_PIECE_MAX) != 0) {
			buf_free(&name);
			m->doc_names[k] = xstrdup("");
			snprintf(err, errlen, "pièce jointe illisible (altérée ?)");
			goto out;
		}
		m->doc_names[k] = xstrdup(name.p);
		buf_free(&name);
		m->docs[k].name = m->doc_names[k];
		m->docs[k].media_type = xstrdup(d[i].media_type);
		m->docs[k].data = (const uint8_t *)m->doc_data[k].p;
		m->docs[k].len = m->doc_data[k].len;
		/* hashed once, at intake (pieces_seal); a size that differs
		 * from the row's is hashed again */
		if (d[i].size == (int64_t)m->docs[k].len) {
			fs_strlcpy(m->doc_sha[k], d[i].sha256, sizeof(m->doc_sha[k]));
			m->docs[k].sha256 = m->doc_sha[k];
		}
	}
	r = 0;
out:
	free(d);
	buf_free(&person);
	return r;
}

static void
material_free_types(struct material *m)
{
	size_t i;

	for (i = 0; i < m->n_docs; i++)
		free((char *)(uintptr_t)m->docs[i].media_type);
}

/* ---- the mail ------------------------------------------------------- */

/* What the cover note names: the directory, the signing key. */
static int
builder_base(struct builder *b, struct instance *in, char *err, size_t errlen)
{
	uint8_t pk[32];

	memset(b, 0, sizeof(*b));
	b->in = in;
	b->domain = strchr(in->cfg.relay_address, '@') + 1;
	if ((b->dir = instance_directory(in, err, errlen)) == NULL)
		return -1;
	if (instance_public_key(in, KEYSTORE_SIGNING, pk, err, errlen) < 0)
		return -1;
	envelope_fingerprint(b->sign_fp, pk);
	sodium_bin2base64(b->sign_b64, sizeof(b->sign_b64), pk, sizeof(pk),
	    sodium_base64_VARIANT_ORIGINAL);
	return instance_relay_recipient(in, b->relay_rcpt, sizeof(b->relay_rcpt), err, errlen);
}

static int
builder_open(struct builder *b, struct instance *in, char *err, size_t errlen)
{
	if (in->signing_sk == NULL || in->hmac_key == NULL) {
		/* The caller opened the instance without INST_SIGNING | INST_KEYS. */
		memset(b, 0, sizeof(*b));
		snprintf(err, errlen, "clés du relais non chargées");
		return -1;
	}
	if (builder_base(b, in, err, errlen) < 0)
		return -1;
	return outbox_opener_page(in, &b->opener, "open", NULL, err, errlen);
}

static void
builder_close(struct builder *b)
{
	buf_free(&b->opener);
}

const char *
outbox_relay_name(const struct instance *in)
{
	return in->cfg.relay_name != NULL ? in->cfg.relay_name : "France Services";
}

int
outbox_opener_page(struct instance *in, struct buf *page, const char *mode,
    const char *invitation, char *err, size_t errlen)
{
	struct opener_conf oc;
	char rcpt[128], sign[64];
	uint8_t pk[32];

	buf_init(page, 4 * 1024 * 1024);
	if (instance_public_key(in, KEYSTORE_SIGNING, pk, err, errlen) < 0 ||
	    instance_relay_recipient(in, rcpt, sizeof(rcpt), err, errlen) < 0)
		return -1;
	sodium_bin2base64(sign, sizeof(sign), pk, sizeof(pk), sodium_base64_VARIANT_ORIGINAL);
	memset(&oc, 0, sizeof(oc));
	oc.relay_name = outbox_relay_name(in);
	oc.signing_key = sign;
	oc.relay_recipient = rcpt;
	oc.reply_address = in->cfg.relay_address;
	oc.mode = mode;
	oc.invitation = invitation;
	return opener_page(page, &oc, err, errlen);
}


static char *
subject_of(const struct builder *b, const struct case_row *c)
{
	const struct dir_topic *t = directory_find_topic(b->dir, c->partner, c->topic);
	const char *prefix = config_subject_prefix(&b->in->cfg, c->partner);

	return xasprintf("[%s] %s%s%s – %s", c->ref, prefix ? prefix : "", prefix ? " – " : "",
	    directory_partner_label(b->dir, c->partner), t ? t->label : c->topic);
}

static int attach_opener(const struct builder *b, const struct case_row *c);
static int64_t referent_deadline(struct instance *in, const struct case_row *c, int64_t from);

/* « lundi 16 mars 2026 à 14 h 30 », Paris time. */
static void
french_date(char *out, size_t len, int64_t t)
{
	static const char *const days[] = { "lundi", "mardi", "mercredi", "jeudi", "vendredi",
	    "samedi", "dimanche" };
	static const char *const months[] = { "janvier", "février", "mars", "avril", "mai",
	    "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre" };
	struct cal_tm tm;

	if (cal_to_paris(t, &tm) < 0 || tm.wday < 0 || tm.wday > 6 || tm.mon < 1 || tm.mon > 12) {
		snprintf(out, len, "?");
		return;
	}
	snprintf(out, len, "%s %d %s %d à %d h %02d", days[tm.wday], tm.mday, months[tm.mon - 1],
	    tm.year, tm.hour, tm.min);
}

/*
 * The cover note (issue 11, point 5): what a referent new to fsrelay needs
 * in clear, and nothing of the person: who sends and by which relay, the
 * answer deadline, how to open the file (the opener page first, then age
 * and fsrelay open), that a plain reply travels unencrypted and how to
 * reply encrypted, the guide.
 */
static char *
cover_note(const struct builder *bd, const struct case_row *c, const char *subject)
{
	const struct dir_structure *s = directory_find_structure(bd->dir, c->structure);
	const char *name = outbox_relay_name(bd->in);
	struct buf b;
	char due[96], *text;

	french_date(due, sizeof(due), referent_deadline(bd->in, c, bd->in->now));
	buf_init(&b, 16 * 1024);
	buf_printf(&b, "Bonjour,\n\n"
	    "Un dossier bloqué qui relève de votre service vous est transmis au titre\n"
	    "de la convention France Services, par le relais sécurisé :\n"
	    "    %s\n"
	    "de la part de :\n"
	    "    %s\n\n"
	    "    %s\n\n", name, s ? s->name : c->structure, subject);
	if (c->rung > 0)
		buf_printf(&b, "Vous recevez ce dossier au niveau %d de l'échelle de la\n"
		    "convention : le niveau précédent n'a pas pu le traiter (absence, adresse\n"
		    "en échec ou délai de réponse dépassé) ; le relais vous le transmet à sa\n"
		    "place.\n\n", c->rung + 1);
	buf_printf(&b, "Réponse attendue au plus tard le :\n"
	    "    %s\n"
	    "(délai de la convention, en jours ouvrés).\n\n", due);
	buf_printf(&b, "OUVRIR LE DOSSIER\n\n"
	    "Le dossier est chiffré pour vous seul ; il est joint à ce message :\n"
	    "    %s.age\n"
	    "Le plus simple, sous Windows, macOS ou Linux, sans rien installer :\n"
	    "%s, ouvrez la page « ouvrir-le-dossier.html »\n"
	    "dans votre navigateur (Edge, Firefox, Chrome, Safari), choisissez votre\n"
	    "fichier de clé puis le dossier .age.  La page fonctionne sans connexion\n"
	    "et vérifie la signature du relais.\n\n",
	    c->ref, attach_opener(bd, c) ? "enregistrez les deux pièces jointes" :
	    "enregistrez la pièce jointe puis,\navec la page reçue lors de votre invitation");
	buf_printf(&b, "Autres moyens, avec votre clé privée :\n"
	    "  - avec l'outil age :\n"
	    "      age -d -i VOTRE_CLE.key -o %s.eml %s.age\n"
	    "  - ou avec fsrelay, qui vérifie aussi la signature du relais :\n"
	    "      fsrelay open %s.age --identity VOTRE_CLE.key \\\n"
	    "        --relay-key %s\n"
	    "Le fichier obtenu (.eml) s'ouvre dans votre messagerie : il contient la\n"
	    "description de la situation, les pièces jointes et un manifeste signé.\n\n",
	    c->ref, c->ref, c->ref, bd->sign_b64);
	buf_printf(&b, "Le dossier est signé par le relais.  Empreinte de la clé de\n"
	    "signature, à comparer avec celle qui vous a été communiquée :\n"
	    "    %s\n\n", bd->sign_fp);
	buf_printf(&b, "RÉPONDRE\n\n"
	    "Pour répondre, répondez simplement à ce message : votre réponse sera\n"
	    "rattachée au dossier.  Attention : une réponse ordinaire voyage en\n"
	    "clair ; n'y écrivez aucune donnée personnelle, ni dans l'objet.  Pour\n"
	    "répondre de façon chiffrée, utilisez « Répondre de façon chiffrée » dans\n"
	    "la page d'ouverture, ou chiffrez votre réponse avec age pour le relais :\n"
	    "    age -a -r %s\n"
	    "et joignez le fichier obtenu à votre réponse.\n\n", bd->relay_rcpt);
	buf_puts(&b, "Le guide du référent, que l'administrateur du relais peut vous\n"
	    "transmettre, montre chaque étape sous Windows, macOS et Linux.  En cas de\n"
	    "difficulté, appelez la structure qui vous envoie ce dossier.\n\n");
	if (s)
		buf_printf(&b, "Contact de la structure :\n    %s\n    %s%s%s\n", s->name,
		    s->phone, s->phone[0] && s->email[0] ? ", " : "", s->email);
	buf_printf(&b, "\n-- \nRelais sécurisé %s (fsrelay)\n", name);
	text = xstrdup(b.p);
	buf_free(&b);
	return text;
}

char *
outbox_cover_text(struct instance *in, const struct case_row *c, char *err, size_t errlen)
{
	struct builder b;
	char *subject, *text;

	if (builder_base(&b, in, err, errlen) < 0)
		return NULL;
	subject = subject_of(&b, c);
	text = cover_note(&b, c, subject);
	free(subject);
	return text;
}

/* attach_opener of the case's partner: yes unless its section says no. */
static int
attach_opener(const struct builder *b, const struct case_row *c)
{
	const struct partner_conf *p = config_partner(&b->in->cfg, c->partner);

	return p == NULL || !p->no_opener;
}

/*
 * The parts of a case's mail that travel in clear (subject, cover note,
 * addresses, attachment name), for person p: the real person, or a blank
 * one to tell what the relay's own template and directory put there.
 */
struct clear_mail {
	char		*subject, *note, *reply_to, *attname;
	struct outmail	 om;
};

static void
clear_mail_make(const struct builder *b, const struct case_row *c, const char *to,
    const char *msgid, const struct person *p, struct clear_mail *k)
{
	memset(k, 0, sizeof(*k));
	k->subject = subject_of(b, c);
	/* tests only (breach.h): the case's own name slips into the subject */
	if (p->nom[0] && breach_test_fault(b->in, "leak-subject")) {
		char *leaky = xasprintf("%s %s", k->subject, p->nom);

		free(k->subject);
		k->subject = leaky;
	}
	k->note = cover_note(b, c, k->subject);
	k->reply_to = xasprintf("%.*s+%s@%s", (int)(b->domain - 1 - b->in->cfg.relay_address),
	    b->in->cfg.relay_address, c->reply_token, b->domain);
	k->attname = xasprintf("%s.age", c->ref);
	k->om.from = b->in->cfg.relay_address;
	k->om.to = to;
	k->om.reply_to = k->reply_to;
	k->om.subject = k->subject;
	k->om.message_id = msgid;
	k->om.date = (time_t)b->in->now;
	k->om.body_text = k->note;
	k->om.attachment_name = k->attname;
	k->om.attachment_type = "application/octet-stream";
	if (attach_opener(b, c)) {
		/* Built from the relay's public values only, never case data. */
		k->om.extra_name = OPENER_NAME;
		k->om.extra = (const uint8_t *)b->opener.p;
		k->om.extra_len = b->opener.len;
		k->om.extra_type = OPENER_TYPE "; charset=utf-8";
	}
}

static void
clear_mail_free(struct clear_mail *k)
{
	free(k->subject);
	free(k->note);
	free(k->reply_to);
	free(k->attname);
	memset(k, 0, sizeof(*k));
}

/* The values the clear parts must never contain (design §6), and the name
 * of each, for a refusal that names the field and not the value. */
static size_t
needles_of(const struct person *p, const char **needles, const char **names,
    char dates[][16])
{
	size_t n = 0, i;
	int y, mo, d;

	names[n] = "le nom de la personne";
	needles[n++] = p->nom;
	names[n] = "le prénom de la personne";
	needles[n++] = p->prenom;
	names[n] = "l'identifiant de la personne chez le partenaire";
	needles[n++] = p->id_partenaire;
	if (p->ne_le[0] && sscanf(p->ne_le, "%d-%d-%d", &y, &mo, &d) == 3) {
		needles[n++] = p->ne_le;
		snprintf(dates[0], 16, "%02d/%02d/%04d", d, mo, y);
		snprintf(dates[1], 16, "%02d.%02d.%04d", d, mo, y);
		snprintf(dates[2], 16, "%02d%02d%04d", d, mo, y);
		needles[n++] = dates[0];
		needles[n++] = dates[1];
		needles[n++] = dates[2];
		for (i = 3; i < n; i++)
			names[i] = "la date de naissance de la personne";
	}
	return n;
}

/* Lines of the description long enough not to occur by chance: 1 if one
 * shows in clear more often than in base, or the scan fails. */
static int
scan_description(const struct buf *clear, const struct buf *base, const char *descr,
    size_t dlen)
{
	const char *p = descr, *end = descr + dlen;
	int hit = 0;

	while (p < end && !hit) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (n >= 16 && n < 1024) {
			char *line = xstrndup(p, n);
			const char *needle[1] = { line };

			hit = outmail_scan_beyond(clear->p, clear->len, base->p, base->len,
			    needle, 1, NULL) != 0;
			fs_wipe(line, n);
			free(line);
		}
		p += n + 1;
	}
	return hit;
}

/*
 * The pre-send scan of the clear parts k of a mail of case c for person p
 * (fail closed): a value of the case counts only where it occurs more often
 * than in the same mail built for a blank person, i.e. where it cannot come
 * from the relay's template or directory (a person named « France » at a
 * France Services desk is not a leak).  1 (blocked, *what = the field) when
 * one shows or the scan fails, 0 when clean.
 */
static int
leaks(const struct builder *b, const struct case_row *c, const struct clear_mail *k,
    const struct person *p, const char *descr, size_t dlen, const char **what)
{
	const char *needles[8], *names[8];
	char dates[3][16];
	struct person blank;
	struct clear_mail kb;
	struct buf clear, base;
	size_t n = needles_of(p, needles, names, dates), hit = 0;
	int r;

	memset(&blank, 0, sizeof(blank));
	clear_mail_make(b, c, k->om.to, k->om.message_id, &blank, &kb);
	buf_init(&clear, 1024 * 1024);
	buf_init(&base, 1024 * 1024);
	*what = "une donnée du dossier (contrôle impossible)";
	if (outmail_clear_parts(&clear, &k->om) < 0 || outmail_clear_parts(&base, &kb.om) < 0)
		r = 1;
	else if ((r = outmail_scan_beyond(clear.p, clear.len, base.p, base.len, needles, n,
	    &hit)) != 0) {
		if (r == 1)
			*what = names[hit];
		r = 1;
	} else if ((r = scan_description(&clear, &base, descr, dlen)) != 0)
		*what = "une ligne de la description";
	buf_free(&clear);
	buf_free(&base);
	clear_mail_free(&kb);
	return r;
}

/* ---- one delivery --------------------------------------------------- */

/* age_sink: the age file goes on into the mail's base64 as it is made. */
static int
age_to_mail(void *ctx, const uint8_t *p, size_t n, const char **errstr)
{
	if (outmail_stream_write(ctx, p, n) < 0) {
		*errstr = "écriture du courriel impossible";
		return -1;
	}
	return 0;
}

/*
 * The mail of delivery d written to sink as it is made: the cover mail's
 * head, the age file (relay/envelope: 64 KiB chunks, the pieces read in
 * place) in base64 lines, the opener page.  Neither the .eml, nor the age
 * file, nor the mail is ever whole in memory.
 */
static int
build_mail(const struct builder *b, const struct case_row *c, const struct delivery_row *d,
    const struct material *m, const char *msgid, const struct outmail_sink *sink,
    int *blocked, char *err, size_t errlen)
{
	struct envelope_in ein;
	struct outmail_stream os;
	struct clear_mail k;
	struct case_row cr = *c;
	uint8_t pk[AGE_X25519_KEY_BYTES];
	const char *why = NULL;
	int r = -1;

	*blocked = 0;
	/* the note says the rung of this delivery (queued before the case
	 * row moves to it) */
	cr.rung = d->rung;
	c = &cr;
	clear_mail_make(b, c, d->recipient, msgid, &m->person, &k);
	if (leaks(b, c, &k, &m->person, m->description.p, m->description.len, &why)) {
		*blocked = 1;
		snprintf(err, errlen, "envoi bloqué : %s apparaîtrait en clair"
		    " dans le courriel", why);
		goto out;
	}
	if (age_recipient_parse(d->key_recipient, pk, &why) < 0) {
		snprintf(err, errlen, "clé épinglée invalide : %s", why ? why : "?");
		goto out;
	}
	memset(&ein, 0, sizeof(ein));
	ein.ref = c->ref;
	ein.from = b->in->cfg.relay_address;
	ein.to = d->recipient;
	ein.subject = k.subject;
	ein.message_id = msgid;
	ein.time = b->in->now;
	ein.recipient_pk = pk;
	ein.description = m->description.p;
	ein.description_len = m->description.len;
	ein.docs = m->docs;
	ein.n_docs = m->n_docs;
	if (outmail_stream_begin(&os, &k.om, sink, err, errlen) < 0)
		goto out;
	{
		const struct age_sink as = { age_to_mail, &os };

		if (envelope_seal_stream(&as, &ein, b->in->signing_sk, err, errlen) < 0) {
			/* The reason may quote a file name: keep it out of logs and states. */
			snprintf(err, errlen, "scellement du dossier impossible (contenu refusé)");
			goto out;
		}
	}
	r = outmail_stream_end(&os, err, errlen);
out:
	clear_mail_free(&k);
	return r;
}

int
outbox_scan_intake(struct instance *in, const struct case_row *c, const struct person *p,
    const char *descr, size_t dlen, const char *const *to, size_t n, char *err,
    size_t errlen)
{
	struct builder b;
	char e[ERRLEN], msgid[TOKEN_MSGID_MAX];
	const char *what = NULL;
	size_t i;
	int r = 0;

	if (builder_open(&b, in, e, sizeof(e)) < 0) {
		fs_seterr(err, errlen, "%s", e);
		return -1;
	}
	/* The delivery numbers are not known yet: 0 stands for them (a
	 * Message-ID is a keyed hash, it holds nothing of the case). */
	if (token_message_id(msgid, sizeof(msgid), in->hmac_key, c->ref, 0, b.domain) < 0) {
		fs_seterr(err, errlen, "identifiant de message impossible");
		r = -1;
	}
	for (i = 0; i < n && r == 0; i++) {
		struct clear_mail k;

		clear_mail_make(&b, c, to[i], msgid, p, &k);
		if (leaks(&b, c, &k, p, descr, dlen, &what)) {
			fs_seterr(err, errlen, "%s apparaîtrait en clair dans le"
			    " courriel au référent (objet, note ou adresses) : rien n'est"
			    " enregistré ni envoyé", what);
			r = 1;
		}
		clear_mail_free(&k);
	}
	builder_close(&b);
	return r;
}

/* The SMTP configuration of the instance; *password (keystore_free) when
 * the configuration names a password file.  0 / -1 with err. */
static int
smtp_conf_load(struct instance *in, struct smtp_conf *c, char **password,
    size_t *password_len, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	*password = NULL;
	*password_len = 0;
	if (in->cfg.smtp_url == NULL || in->cfg.ca_file == NULL) {
		snprintf(err, errlen, "smtp_url et ca_file sont nécessaires pour envoyer");
		return -1;
	}
	if (in->cfg.smtp_password_file) {
		*password = keystore_read(in->cfg.smtp_password_file, 1024, password_len,
		    err, errlen);
		if (*password == NULL)
			return -1;
		(*password)[strcspn(*password, "\r\n")] = '\0';
	}
	c->url = in->cfg.smtp_url;
	c->user = in->cfg.smtp_user;
	c->password = *password;
	c->ca_file = in->cfg.ca_file;
	c->starttls = in->cfg.smtp_starttls;
	c->timeout_s = 60;
	return smtp_conf_check(c, err, errlen) < 0 ? -1 : 0;
}

size_t
outbox_mail_estimate(size_t dlen, const size_t *piece_len, size_t n)
{
	size_t inner, agelen, i, opener = 0;

	/* the sealed message (relay/envelope, version 2): its headers, the
	 * manifest and its signature, the description in base64 lines (57 ->
	 * 78 bytes), then every piece as its own bytes with a part head */
	inner = 16384 + b64_lines_len(dlen);
	for (i = 0; i < n; i++)
		inner += 1024 + piece_len[i];
	/* age: the header, then 64 KiB chunks with a 16-byte tag each */
	agelen = 1024 + inner + 16 * (inner / 65536 + 1);
	/* the mail: its headers, the cover note, the age file and the opener
	 * page (with its few hundred bytes of values) in base64 lines */
	(void)opener_template(&opener);
	return 32768 + b64_lines_len(agelen) + b64_lines_len(opener + 4096);
}

/* Which server a SIZE answer came from: a 63-bit hash of the configured
 * URL and STARTTLS setting (a mark holds an int64), never 0. */
static int64_t
size_server_id(const struct instance *in)
{
	uint8_t h[8];
	uint64_t v = 0;
	const char *url = in->cfg.smtp_url ? in->cfg.smtp_url : "";
	size_t i;

	if (crypto_generichash(h, sizeof(h), (const uint8_t *)url, strlen(url),
	    in->cfg.smtp_starttls ? (const uint8_t *)"starttls" : NULL,
	    in->cfg.smtp_starttls ? 8 : 0) != 0)
		return 1;
	for (i = 0; i < sizeof(h); i++)
		v = v << 8 | h[i];
	v >>= 1;
	return v ? (int64_t)v : 1;
}

/* The SIZE limit the configured server announced (size > 0) at in->now:
 * recorded with its server and instant. */
static void
size_heard(struct instance *in, unsigned long long size)
{
	int64_t known = 0;

	if (size == 0 || size > INT64_MAX)
		return;
	if (store_mark_get(in->st, OUTBOX_MARK_SMTP_SIZE, &known) != 0 ||
	    known != (int64_t)size)
		(void)store_mark_set(in->st, OUTBOX_MARK_SMTP_SIZE, (int64_t)size);
	(void)store_mark_set(in->st, OUTBOX_MARK_SMTP_SERVER, size_server_id(in));
	(void)store_mark_set(in->st, OUTBOX_MARK_SMTP_SIZE_AT, in->now);
}

/* 1 and *size set when the configured server announced its limit less
 * than OUTBOX_SIZE_FRESH seconds ago (a clock gone back is not fresh). */
static int
size_fresh(struct instance *in, unsigned long long *size)
{
	int64_t at = 0, server = 0, known = 0;

	if (store_mark_get(in->st, OUTBOX_MARK_SMTP_SIZE_AT, &at) != 0 || at <= 0 ||
	    at > in->now || in->now - at >= OUTBOX_SIZE_FRESH ||
	    store_mark_get(in->st, OUTBOX_MARK_SMTP_SERVER, &server) != 0 ||
	    server != size_server_id(in) ||
	    store_mark_get(in->st, OUTBOX_MARK_SMTP_SIZE, &known) != 0 || known <= 0)
		return 0;
	*size = (unsigned long long)known;
	return 1;
}

int
outbox_size_intake(struct instance *in, size_t estimate, char *err, size_t errlen)
{
	struct smtp_conf c;
	unsigned long long size = 0;
	int64_t known = 0;
	char e[ERRLEN], *password = NULL;
	size_t password_len = 0;

	/* A case that fits a fresh answer: no connection (issue 12, point 4:
	 * the probe was a TLS session per escalate).  A refusal is made on a
	 * new answer, so that a raised limit is seen at once. */
	if (size_fresh(in, &size) && estimate <= size)
		return 0;
	size = 0;
	if (smtp_conf_load(in, &c, &password, &password_len, e, sizeof(e)) == 0) {
		c.timeout_s = OUTBOX_PROBE_TIMEOUT;
		if (smtp_probe(&c, &size, e, sizeof(e)) == 0)
			size_heard(in, size);
		else
			size = 0;
	}
	if (password)
		keystore_free(password, password_len);
	/* the server cannot be reached now: what it said last */
	if (size == 0 && store_mark_get(in->st, OUTBOX_MARK_SMTP_SIZE, &known) == 0 &&
	    known > 0)
		size = (unsigned long long)known;
	if (size == 0 || estimate <= size)
		return 0;
	/* in tenths of a megabyte, with a decimal comma */
	fs_seterr(err, errlen, "le dossier chiffré ferait environ %zu,%zu Mo, plus que ce que "
	    "le serveur d'envoi accepte (%llu,%llu Mo, limite SIZE de %llu octets) : rien "
	    "n'est enregistré ni envoyé ; réduire ou retirer des pièces jointes",
	    (estimate + 50000) / 1000000, (estimate + 50000) / 100000 % 10,
	    (size + 50000) / 1000000, (size + 50000) / 100000 % 10, size);
	return 1;
}

/*
 * What a mail is built with besides the case: the signing key (manifest
 * signature, fingerprint in the cover note), the relay's address (From,
 * Reply-To) and the Message-ID (replies are matched on it).  A prepared
 * mail is sent only if they are still the same; else it is built anew.
 */
static void
built_for(char *out, size_t size, const struct builder *b, const char *msgid)
{
	snprintf(out, size, "%s %s %s", b->sign_fp, b->in->cfg.relay_address, msgid);
}

/* The associated data of a prepared mail's description, sealed under the
 * case key. */
static struct vault_ad
prepared_ad(const struct instance *in, const struct delivery_row *d)
{
	struct vault_ad ad = { "prepared_mails", "mail", d->id, in->kek_id };

	return ad;
}

/*
 * A prepared mail is kept in chunks of PREP_CHUNK bytes, each sealed under
 * the case key and bound to its delivery (row), its build and its position
 * (column), so that a chunk moved, dropped or taken from another build of
 * the same delivery does not open; its prepared_mails row holds, sealed,
 * the build, the number of chunks and the length.  Written as the mail is
 * made, read back one chunk at a time while it is sent: no process holds
 * a whole mail (issue 15).
 */
#define PREP_CHUNK	65536
#define PREP_MAGIC	"fsrelay-chunks-1"
#define PREP_DESC_MAX	128
#define PREP_BUILD_LEN	16	/* hex */

static struct vault_ad
chunk_ad(const struct instance *in, int64_t delivery, const char *build, int64_t seq,
    char col[VAULT_AD_NAME_MAX + 1])
{
	struct vault_ad ad = { "prepared_chunks", col, delivery, in->kek_id };

	snprintf(col, VAULT_AD_NAME_MAX + 1, "mail.%s.%lld", build, (long long)seq);
	return ad;
}

struct prep_writer {
	struct instance	*in;
	const uint8_t	*dek;
	int64_t		 delivery;
	char		 build[PREP_BUILD_LEN + 1];
	struct buf	 chunk, ct;
	int64_t		 seq;
	size_t		 length;
	int		 failed;	/* -1 sealing, -2 store */
};

static int
prep_flush(struct prep_writer *w)
{
	char col[VAULT_AD_NAME_MAX + 1];
	struct vault_ad ad;

	if (w->failed)
		return -1;
	if (w->chunk.len == 0)
		return 0;
	ad = chunk_ad(w->in, w->delivery, w->build, w->seq, col);
	w->ct.len = 0;
	if (vault_seal(&w->ct, w->dek, &ad, (const uint8_t *)w->chunk.p, w->chunk.len) < 0)
		w->failed = -1;
	else if (store_prepared_chunk_put(w->in->st, w->delivery, w->seq, w->ct.p,
	    w->ct.len) < 0)
		w->failed = -2;
	else {
		w->seq++;
		w->chunk.len = 0;
	}
	return w->failed ? -1 : 0;
}

/* outmail_sink: the mail into chunks. */
static int
prep_write(void *ctx, const void *p, size_t n)
{
	struct prep_writer *w = ctx;
	const char *s = p;
	size_t k;

	while (n > 0) {
		k = PREP_CHUNK - w->chunk.len < n ? PREP_CHUNK - w->chunk.len : n;
		if (w->failed || buf_append(&w->chunk, s, k) < 0)
			return -1;
		w->length += k;
		s += k;
		n -= k;
		if (w->chunk.len == PREP_CHUNK && prep_flush(w) < 0)
			return -1;
	}
	return 0;
}

/* The writes of prepare_store undone: its savepoint, or its transaction. */
static void
undo(struct instance *in, int in_tx)
{
	if (in_tx)
		store_rollback_to(in->st);
	else
		store_rollback(in->st);
}

/*
 * Build the mail of delivery d (Message-ID msgid, case key dek) into the
 * store, replacing any former one, in one transaction (in_tx: a savepoint
 * of the caller's).  0 stored; 1 the
 * delivery is no longer pending (nothing stored); -1 it cannot be built,
 * with the reason in err (no personal data in it), *blocked set when the
 * scan stopped it; -2 the store failed (to retry), reason in err.
 */
static int
prepare_store(const struct builder *b, const struct case_row *c, const struct delivery_row *d,
    const uint8_t *dek, const char *msgid, int in_tx, int *blocked, char *err, size_t errlen)
{
	struct instance *in = b->in;
	struct vault_ad ad = prepared_ad(in, d);
	struct prep_writer w;
	const struct outmail_sink sk = { prep_write, &w };
	struct material m;
	struct buf desc;
	char what[BUILT_FOR_MAX], text[PREP_DESC_MAX];
	uint8_t rnd[PREP_BUILD_LEN / 2];
	int r;

	*blocked = 0;
	memset(&m, 0, sizeof(m));
	memset(&w, 0, sizeof(w));
	buf_init(&desc, PREP_DESC_MAX + VAULT_OVERHEAD);
	if ((r = material_load(in, dek, c, d->message_id, &m, err, errlen)) != 0)
		goto out;
	w.in = in;
	w.dek = dek;
	w.delivery = d->id;
	random_bytes(rnd, sizeof(rnd));
	fs_hex(w.build, rnd, sizeof(rnd));
	buf_init(&w.chunk, PREP_CHUNK);
	buf_init(&w.ct, PREP_CHUNK + VAULT_OVERHEAD);
	if ((in_tx ? store_savepoint(in->st) : store_begin(in->st)) < 0) {
		r = -2;
		snprintf(err, errlen, "courrier préparé : base : %s", store_errmsg(in->st));
		goto out;
	}
	if (store_prepared_drop(in->st, d->id) < 0) {
		r = -2;
		goto store;
	}
	r = build_mail(b, c, d, &m, msgid, &sk, blocked, err, errlen);
	if (r == 0 && prep_flush(&w) < 0)
		r = -1;
	if (w.failed == -2) {
		r = -2;
		goto store;
	}
	if (w.failed == -1)
		snprintf(err, errlen, "scellement du courrier préparé impossible");
	if (r == 0) {
		snprintf(text, sizeof(text), "%s %s %lld %zu", PREP_MAGIC, w.build,
		    (long long)w.seq, w.length);
		built_for(what, sizeof(what), b, msgid);
		if (vault_seal(&desc, dek, &ad, (const uint8_t *)text, strlen(text)) < 0) {
			snprintf(err, errlen, "scellement du courrier préparé impossible");
			r = -1;
		} else if ((r = store_prepared_put(in->st, d->id, in->now, what, desc.p,
		    desc.len)) < 0 || (r == 0 && (in_tx ? store_release(in->st) :
		    store_commit(in->st)) < 0)) {
			r = -2;
			goto store;
		}
	}
	if (r != 0)
		undo(in, in_tx);
	goto out;
store:
	snprintf(err, errlen, "courrier préparé : base : %s", store_errmsg(in->st));
	undo(in, in_tx);
out:
	buf_free(&w.chunk);
	buf_free(&w.ct);
	buf_free(&desc);
	material_free_types(&m);
	material_free(&m);
	return r;
}

/* A prepared mail read back a chunk at a time (struct smtp_source). */
struct prep_reader {
	struct instance	*in;
	const uint8_t	*dek;
	int64_t		 delivery;
	char		 build[PREP_BUILD_LEN + 1];
	int64_t		 chunks, seq;
	size_t		 length, off;
	struct buf	 ct, pt;
	int		 bad;		/* 1 a chunk did not open, 2 store */
};

static ssize_t
prep_read(void *ctx, uint8_t *p, size_t n)
{
	struct prep_reader *r = ctx;
	char col[VAULT_AD_NAME_MAX + 1];
	struct vault_ad ad;
	size_t got = 0, k;
	int g;

	while (got < n) {
		if (r->off == r->pt.len) {
			if (r->seq == r->chunks)
				break;
			r->ct.len = r->pt.len = r->off = 0;
			ad = chunk_ad(r->in, r->delivery, r->build, r->seq, col);
			if ((g = store_prepared_chunk_get(r->in->st, r->delivery, r->seq,
			    &r->ct)) < 0) {
				r->bad = 2;
				return -1;
			}
			if (g != 0 || vault_open(&r->pt, r->dek, &ad, (const uint8_t *)r->ct.p,
			    r->ct.len, PREP_CHUNK + VAULT_OVERHEAD) < 0 || r->pt.len == 0) {
				r->bad = 1;
				return -1;
			}
			r->seq++;
		}
		k = r->pt.len - r->off < n - got ? r->pt.len - r->off : n - got;
		memcpy(p + got, r->pt.p + r->off, k);
		r->off += k;
		got += k;
	}
	return (ssize_t)got;
}

static int
prep_rewind(void *ctx)
{
	struct prep_reader *r = ctx;

	r->seq = 0;
	r->pt.len = r->off = 0;
	return 0;
}

static void
prep_reader_free(struct prep_reader *r)
{
	buf_free(&r->ct);
	buf_free(&r->pt);
}

/*
 * The prepared mail of d, ready to be read by rd: 0, or 1 when there is
 * none to use (none, built with other keys or addresses, or one that does
 * not open: the integrity failure is recorded), -1 on a store failure.
 * rd is initialised in every case (prep_reader_free).
 */
static int
open_prepared(const struct builder *b, const uint8_t *dek, const struct delivery_row *d,
    const char *msgid, struct prep_reader *rd)
{
	struct instance *in = b->in;
	struct vault_ad ad = prepared_ad(in, d);
	struct buf ct, text;
	char have[BUILT_FOR_MAX], want[BUILT_FOR_MAX], magic[32];
	long long chunks = -1;
	size_t length = 0;
	int r, used = 0;

	memset(rd, 0, sizeof(*rd));
	rd->in = in;
	rd->dek = dek;
	rd->delivery = d->id;
	buf_init(&rd->ct, PREP_CHUNK + VAULT_OVERHEAD);
	buf_init(&rd->pt, PREP_CHUNK);
	buf_init(&ct, PREP_DESC_MAX + VAULT_OVERHEAD);
	buf_init(&text, PREP_DESC_MAX);
	r = store_prepared_get(in->st, d->id, &ct, have, sizeof(have));
	built_for(want, sizeof(want), b, msgid);
	if (r == 0 && strcmp(have, want) != 0)
		r = 1;
	else if (r == 0 && (vault_open(&text, dek, &ad, (const uint8_t *)ct.p, ct.len,
	    PREP_DESC_MAX + VAULT_OVERHEAD) < 0 || text.p == NULL ||
	    sscanf(text.p, "%31s %16s %lld %zu%n", magic, rd->build, &chunks, &length,
	    &used) != 4 || strcmp(magic, PREP_MAGIC) != 0 || (size_t)used != text.len ||
	    strlen(rd->build) != PREP_BUILD_LEN || chunks < 1 || length == 0 ||
	    length > (size_t)chunks * PREP_CHUNK)) {
		(void)breach_integrity_failure(in, "prepared_mails", "mail", d->id);
		r = 1;
	}
	rd->chunks = chunks;
	rd->length = length;
	buf_free(&ct);
	buf_free(&text);
	return r;
}

static int
record_event(struct instance *in, const char *action, const char *ref, const char *outcome)
{
	return store_event(in->st, in->now, "relay", action, ref, outcome);
}

static void
log_delivery(const struct case_row *c, const struct delivery_row *d, const char *what,
    const char *why)
{
	/* No address, no name: the reference and the rung are enough. */
	fprintf(stderr, "fsrelay : envoi %lld (%s, échelon %d) : %s%s%s\n",
	    (long long)d->id, c->ref, d->rung, what, why && *why ? " : " : "", why ? why : "");
}

/*
 * Record the outcome of an attempt, if the delivery is still pending (a
 * pass works from a list read at its start, escalate and the daemon may
 * both reach a new delivery); when final, drop its prepared mail and
 * settle the rung.  A blocked mail opens its breach register entry here,
 * once.  A relaxed commit (relay/port/store.h): a power loss may undo it,
 * and the delivery is then attempted again -- a message sent twice, with
 * its Message-ID, never one lost; a kill -9 undoes nothing.
 */
static int
finish_delivery(struct instance *in, struct outbox_stats *stats, const struct case_row *c,
    struct delivery_row *d, enum smtp_status st, const char *smtp_err, int blocked)
{
	const char *error;
	int final = 1, r;

	d->attempts++;
	fs_strlcpy(d->last_error, smtp_err, sizeof(d->last_error));
	if (st == SMTP_SENT) {
		fs_strlcpy(d->state, "sent", sizeof(d->state));
		d->sent_at = in->now;
		d->last_error[0] = '\0';
	} else if (st == SMTP_TEMPFAIL && d->attempts < OUTBOX_MAX_ATTEMPTS) {
		d->next_attempt_at = in->now + outbox_backoff(d->attempts);
		final = 0;
	} else
		fs_strlcpy(d->state, "failed", sizeof(d->state));
	if (store_begin_relaxed(in->st) < 0)
		return -1;
	if ((final && store_prepared_drop(in->st, d->id) < 0) ||
	    (r = store_delivery_record(in->st, d)) < 0)
		goto fail;
	if (r == 1) {
		store_rollback(in->st);
		log_delivery(c, d, "déjà terminé par un autre processus", NULL);
		return 0;
	}
	error = st == SMTP_SENT ? "" : smtp_err;
	/* The case's last error changes only when it differs (most sends). */
	if ((strcmp(c->last_error, error) != 0 &&
	    store_case_set_error(in->st, c->id, error) < 0) ||
	    record_event(in, st == SMTP_SENT ? "delivery.sent" : final ? "delivery.failed" :
	    "delivery.deferred", c->ref, st == SMTP_SENT ? "250" : "error") < 0 ||
	    (final && outbox_settle_rung(in, c) < 0) || store_commit(in->st) < 0)
		goto fail;
	log_delivery(c, d, st == SMTP_SENT ? "remis au serveur (250)" : !final ?
	    "échec temporaire, nouvel essai prévu" : "échec définitif", smtp_err);
	if (st == SMTP_SENT)
		stats->sent++;
	else if (!final)
		stats->retried++;
	else
		stats->failed++;
	if (blocked) {
		stats->blocked++;
		(void)breach_blocked_send(in, c->ref);	/* high-risk entry (issue 6) */
	}
	return 0;
fail:
	store_rollback(in->st);
	return -1;
}

/* Record the SIZE limit the server announced, when it changed, for the
 * intake check (outbox_size_intake) to know it even when it cannot ask. */
static void
note_size(struct pass *p)
{
	unsigned long long size = smtp_session_size(p->session);

	if (size > 0 && size != p->size_noted) {
		size_heard(p->in, size);
		p->size_noted = size;
	}
}

static int notify_agent(struct instance *in, const struct case_row *c, const char *kind,
    const char *subject, const char *body);

/*
 * The mandate at sending time (convention, annexe 7: one year, or until
 * withdrawn): the person's mandate date, decrypted with the case key dek,
 * judged at in->now as escalate judges it (relay/case: case_mandate_check).
 * 0 valid; 1 expired (or not yet signed); -1 unreadable.
 */
static int
mandate_at_send(struct instance *in, const uint8_t *dek, const struct case_row *c)
{
	struct buf b;
	struct person pp;
	struct cal_tm today;
	int y, m, d, r = -1;

	buf_init(&b, 8192);
	memset(&pp, 0, sizeof(pp));
	if (sealed_get(in, dek, "cases", "person", c->id, &b, 8192) == 0 &&
	    person_decode(&pp, b.p, b.len) == 0 && cal_to_paris(in->now, &today) == 0 &&
	    cal_parse_date(pp.mandat_signe_le, &y, &m, &d) == 0)
		r = case_mandate_check(y, m, d, today.year, today.mon, today.mday) == 0 ? 0 : 1;
	sodium_memzero(&pp, sizeof(pp));
	buf_free(&b);
	return r;
}

/*
 * A delivery whose case's mandate has expired: not attempted, left
 * pending (it leaves once the mandate is renewed: outbox_mandate_renew);
 * the case waits for its person (waiting_user) and its agent is told once
 * per expiry, by reference only.
 */
static int
hold_for_mandate(struct pass *p, const struct case_row *c, const struct delivery_row *d)
{
	struct instance *in = p->in;
	struct case_row now = *c;
	struct lc_step st;
	char *subject, *body;
	int r = 0;

	log_delivery(c, d, "retenu", "mandat expiré (fsrelay mandate renew)");
	p->stats->held++;
	/* Already waiting for its person (or over): nothing to change or tell. */
	if (case_may(c, LC_MANDATE_EXPIRED, &st) != LC_APPLY)
		return 0;
	subject = xasprintf("[%s] Mandat expiré : rien n'est envoyé", c->ref);
	body = xasprintf("Bonjour,\n\nLe mandat de la personne pour le dossier %s n'est plus"
	    " valable (un an après sa signature) : le relais n'envoie plus rien de ce dossier"
	    " au partenaire, et le dossier attend la personne.\n\nFaites signer un nouveau"
	    " mandat, puis :\n\n    fsrelay mandate renew %s --mandat-signe-le AAAA-MM-JJ"
	    " [--mandat-fichier F]\n\nLes envois en attente partiront alors.  Ce message ne"
	    " contient aucune donnée personnelle.\n\n-- \nRelais sécurisé fsrelay\n", c->ref,
	    c->ref);
	if (store_begin(in->st) < 0 ||
	    case_step(in->st, &now, LC_MANDATE_EXPIRED, in->now, NULL) != LC_APPLY ||
	    record_event(in, "case.mandate_expired", c->ref, "held") < 0 ||
	    notify_agent(in, c, "mandate-expired", subject, body) < 0 ||
	    store_commit(in->st) < 0) {
		store_rollback(in->st);
		r = -1;
	}
	free(subject);
	free(body);
	return r;
}

/*
 * The mail of d built now into the store (none to use), then opened for
 * reading into rd: 0 ready; 1 d is no longer pending; -1 it cannot be
 * built (*st stays SMTP_PERMFAIL, reason in err); -2 the store failed
 * (*st = SMTP_TEMPFAIL: retried).
 */
static int
build_now(struct pass *p, const struct case_row *c, const struct delivery_row *d,
    const uint8_t *dek, const char *msgid, struct prep_reader *rd, int *blocked,
    char *err, size_t errlen, enum smtp_status *st)
{
	int r;

	prep_reader_free(rd);
	memset(rd, 0, sizeof(*rd));
	*st = SMTP_PERMFAIL;
	r = prepare_store(&p->b, c, d, dek, msgid, 0, blocked, err, errlen);
	if (r == 0 && open_prepared(&p->b, dek, d, msgid, rd) != 0) {
		snprintf(err, errlen, "courrier préparé illisible aussitôt écrit");
		r = -2;
	}
	if (r == -2)
		*st = SMTP_TEMPFAIL;
	return r;
}

/*
 * One attempt of delivery d: its mail as prepared when it was queued
 * (outbox_prepare), else built now; then one SMTP transaction.
 */
static int
deliver(struct pass *p, struct delivery_row *d)
{
	struct instance *in = p->in;
	struct case_row c;
	struct prep_reader rd;
	char err[ERRLEN], msgid[TOKEN_MSGID_MAX];
	enum smtp_status st = SMTP_PERMFAIL;
	uint8_t *dek = NULL;
	int blocked = 0, r, tries;

	/* The pass's list is as old as the pass: this delivery may have been
	 * sent, cancelled or stopped since (cancel, keys compromised...). */
	if (p->login_refused)
		return 0;
	if ((r = store_delivery_get(in->st, d->id, d)) != 0 || strcmp(d->state, "pending") != 0)
		return r < 0 ? -1 : 0;
	if (store_case_get_by_id(in->st, d->case_id, &c) != 0 ||
	    token_message_id(msgid, sizeof(msgid), in->hmac_key, c.ref, d->id, p->b.domain) < 0)
		return -1;
	err[0] = '\0';
	memset(&rd, 0, sizeof(rd));
	/* No case key (shredded, or altered): nothing can be sent, for good. */
	if ((dek = sealed_case_key(in, c.id, err, sizeof(err))) == NULL)
		r = 1;
	else if ((r = mandate_at_send(in, dek, &c)) != 0) {
		/* the mandate no longer covers it: nothing leaves (issue 14) */
		vault_key_free(dek);
		return r < 0 ? finish_delivery(in, p->stats, &c, d, SMTP_PERMFAIL,
		    "mandat illisible : rien n'est envoyé", 0) : hold_for_mandate(p, &c, d);
	} else if ((r = open_prepared(&p->b, dek, d, msgid, &rd)) < 0) {
		prep_reader_free(&rd);
		vault_key_free(dek);
		return -1;
	}
	if (dek && r != 0 && (r = build_now(p, &c, d, dek, msgid, &rd, &blocked, err,
	    sizeof(err), &st)) == 1) {
		vault_key_free(dek);
		return 0;	/* no longer pending */
	}
	for (tries = 0; dek && r == 0; tries++) {
		const struct smtp_source src = { prep_read, prep_rewind, &rd, rd.length };

		st = smtp_session_send_source(p->session, in->cfg.relay_address,
		    d->recipient, &src, err, sizeof(err));
		if (rd.bad == 0 || st == SMTP_SENT)
			break;
		/* our copy, not the server: nothing was delivered */
		snprintf(err, sizeof(err), "courrier préparé illisible (%s)",
		    rd.bad == 1 ? "altéré ?" : "base");
		st = SMTP_TEMPFAIL;
		if (rd.bad != 1 || tries > 0)
			break;
		/* a chunk that does not open: recorded, and the mail built anew
		 * at once, as when its description does not open */
		(void)breach_integrity_failure(in, "prepared_chunks", "data", d->id);
		if ((r = build_now(p, &c, d, dek, msgid, &rd, &blocked, err, sizeof(err),
		    &st)) == 1) {
			vault_key_free(dek);
			return 0;
		}
	}
	note_size(p);
	vault_key_free(dek);
	prep_reader_free(&rd);
	if (login_refused(p, st, err))
		return 0;
	if (st == SMTP_SENT)
		fs_strlcpy(d->smtp_message_id, msgid, sizeof(d->smtp_message_id));
	return finish_delivery(in, p->stats, &c, d, st, err, blocked);
}

/* Prepare one pending delivery: 1 prepared, 0 left to the outbox, -1 store.
 * in_tx: inside the caller's transaction, where a delivery cannot be
 * finished (its own transaction): a blocked mail is left to the outbox. */
static int
prepare_one(struct builder *b, const struct case_row *c, struct delivery_row *d,
    struct outbox_stats *stats, int in_tx)
{
	struct instance *in = b->in;
	char err[ERRLEN], msgid[TOKEN_MSGID_MAX];
	uint8_t *dek;
	int blocked = 0, r = 0;

	if ((r = store_prepared_exists(in->st, d->id)) != 0)
		return r < 0 ? -1 : 1;
	if (token_message_id(msgid, sizeof(msgid), in->hmac_key, c->ref, d->id, b->domain) < 0)
		return -1;
	if ((dek = sealed_case_key(in, c->id, err, sizeof(err))) == NULL)
		return 0;	/* the outbox records why it cannot send */
	err[0] = '\0';
	r = prepare_store(b, c, d, dek, msgid, in_tx, &blocked, err, sizeof(err));
	if (r == 0 || r == 1)
		r = 1;		/* stored, or no longer pending */
	else if (r == -2)
		r = -1;
	else if (blocked && !in_tx)
		/* Blocked by the scan: final now, as it would be when sent. */
		r = finish_delivery(in, stats, c, d, SMTP_PERMFAIL, err, 1);
	else
		/* the outbox builds it again when it is due, and records why
		 * it cannot be sent */
		r = 0;
	vault_key_free(dek);
	return r;
}

static int
prepare_case(struct instance *in, int64_t case_id, const char *prog, int in_tx)
{
	struct outbox_stats stats;
	struct builder b;
	struct delivery_row *d = NULL;
	struct case_row c;
	size_t n = 0, i;
	char err[ERRLEN];
	int r = -1, one;

	memset(&stats, 0, sizeof(stats));
	memset(&c, 0, sizeof(c));
	if (builder_open(&b, in, err, sizeof(err)) < 0)
		goto out;
	if (store_case_get_by_id(in->st, case_id, &c) != 0 ||
	    store_delivery_list(in->st, case_id, &d, &n) < 0)
		goto store_fail;
	for (i = 0; i < n; i++) {
		if (strcmp(d[i].state, "pending") != 0)
			continue;
		if ((one = prepare_one(&b, &c, &d[i], &stats, in_tx)) < 0)
			goto store_fail;
		/* A blocked delivery may have moved the case to another rung. */
		if (one == 0 && strcmp(d[i].state, "pending") != 0 &&
		    store_case_get_by_id(in->st, case_id, &c) != 0)
			goto store_fail;
	}
	r = 0;
	goto out;
store_fail:
	snprintf(err, sizeof(err), "base : %s", store_errmsg(in->st));
out:
	if (r < 0)
		fprintf(stderr, "fsrelay %s : %s : courrier construit par le relais au moment de"
		    " l'envoi (%s)\n", prog, c.ref[0] ? c.ref : "?", err);
	free(d);
	builder_close(&b);
	return r;
}

int
outbox_prepare(struct instance *in, int64_t case_id, const char *prog)
{
	return prepare_case(in, case_id, prog, 0);
}

int
outbox_prepare_in(struct instance *in, int64_t case_id, const char *prog)
{
	if (store_savepoint(in->st) < 0) {
		fprintf(stderr, "fsrelay %s : courrier construit par le relais au moment de"
		    " l'envoi (base : %s)\n", prog, store_errmsg(in->st));
		return -1;
	}
	if (prepare_case(in, case_id, prog, 1) < 0) {
		store_rollback_to(in->st);
		return -1;
	}
	if (store_release(in->st) < 0) {
		store_rollback_to(in->st);
		return -1;
	}
	return 0;
}

/* ---- rungs ---------------------------------------------------------- */

/* The partner's policy at the structure (relay/tick: unit, length,
 * holidays, closures). */
static int64_t
referent_deadline(struct instance *in, const struct case_row *c, int64_t from)
{
	return tick_referent_due(in, c, from);
}

static int
notify_agent(struct instance *in, const struct case_row *c, const char *kind,
    const char *subject, const char *body)
{
	char once[128];

	snprintf(once, sizeof(once), "%s:%s:%d", kind, c->ref, c->rung);
	return outbox_agent_notice(in, kind, c, subject, body, once);
}

int
outbox_agent_notice(struct instance *in, const char *kind, const struct case_row *c,
    const char *subject, const char *body, const char *once_key)
{
	struct agent a, *list = NULL;
	char once[192];
	size_t n = 0, i;
	int r;

	if ((r = store_agent_get(in->st, c->agent, &a)) < 0)
		return -1;
	if (r == 0 && !a.disabled && !a.removed && a.email[0] != '\0')
		return outbox_notice(in, kind, a.email, c->ref, subject, body, once_key);
	if (store_agent_list(in->st, &list, &n) < 0)
		return -1;
	for (i = 0, r = 0; i < n && r == 0; i++) {
		if (strcmp(list[i].role, "responsable") != 0 || list[i].disabled ||
		    list[i].removed || strcmp(list[i].structure, c->structure) != 0)
			continue;
		snprintf(once, sizeof(once), "%s:%s", once_key, list[i].id);
		r = outbox_notice(in, kind, list[i].email, c->ref, subject, body,
		    once_key && once_key[0] ? once : NULL);
	}
	free(list);
	return r;
}

static int
case_failed(struct instance *in, const struct case_row *c)
{
	char *subject = xasprintf("[%s] Échec d'envoi du dossier", c->ref);
	char *body = xasprintf("Bonjour,\n\nLe dossier %s n'a pu être remis à aucun"
	    " référent : tous les envois ont échoué définitivement.\n\nConsultez-le avec"
	    " « fsrelay show %s » : la dernière erreur y figure.  Le dossier n'a pas été"
	    " transmis ; il faut le reprendre avec le partenaire.\n\n-- \nRelais sécurisé"
	    " fsrelay\n", c->ref, c->ref);
	struct case_row now = *c;
	int r = case_step(in->st, &now, LC_RUNG_FAILED, in->now, NULL) == LC_APPLY &&
	    record_event(in, "case.failed", c->ref, "all deliveries failed") == 0 &&
	    notify_agent(in, c, "delivery-failed", subject, body) == 0 ? 0 : -1;

	free(subject);
	free(body);
	return r;
}

int
outbox_settle_rung(struct instance *in, const struct case_row *c)
{
	struct delivery_row *d = NULL;
	size_t n = 0, i, pending = 0, sent = 0;
	int64_t last = 0, msg_id = 0;
	int r = -1, queued;

	if (store_delivery_list(in->st, c->id, &d, &n) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (d[i].rung != c->rung)
			continue;
		msg_id = d[i].message_id;
		if (strcmp(d[i].state, "pending") == 0)
			pending++;
		else if (strcmp(d[i].state, "sent") == 0) {
			sent++;
			if (d[i].sent_at > last)
				last = d[i].sent_at;
		}
	}
	free(d);
	if (pending)
		return 0;
	if (sent) {
		/* The rung's clock starts at the last 250 of its deliveries. */
		if (store_case_set_rung(in->st, c->id, c->rung,
		    referent_deadline(in, c, last), 0) < 0)
			return -1;
		struct case_row now = *c;

		if (case_step(in->st, &now, LC_DELIVERED, in->now, NULL) < 0 ||
		    (strcmp(now.state, c->state) != 0 &&
		    record_event(in, "case.awaiting", c->ref, "delivered") < 0))
			return -1;
		return 0;
	}
	/* Every recipient of the rung failed for good: next rung. */
	queued = outbox_queue_rung(in, c, c->rung + 1, msg_id);
	if (queued < 0)
		return -1;
	if (queued == 0)
		r = case_failed(in, c);
	else
		r = store_case_set_rung(in->st, c->id, c->rung + 1, 0, 0) == 0 &&
		    record_event(in, "case.rerouted", c->ref, "previous rung failed") == 0 ? 0 : -1;
	return r;
}

int
outbox_queue_rung(struct instance *in, const struct case_row *c, int rung, int64_t message_id)
{
	const struct directory *dir;
	struct dir_ladder ladder = { NULL, 0 };
	char err[ERRLEN];
	size_t i;
	int queued = 0;

	if ((dir = instance_directory(in, err, sizeof(err))) == NULL)
		return -1;
	if (directory_route(dir, c->partner, c->topic, c->structure, &ladder, err,
	    sizeof(err)) < 0 || (size_t)rung >= ladder.n)
		goto out;
	for (i = 0; i < ladder.rungs[rung].n; i++) {
		const struct dir_entry *e = &dir->entries[ladder.rungs[rung].idx[i]];
		struct pinned_key k;
		struct delivery_row d;

		memset(&d, 0, sizeof(d));
		d.case_id = c->id;
		d.message_id = message_id;
		d.rung = rung;
		fs_strlcpy(d.recipient, e->email, sizeof(d.recipient));
		fs_strlcpy(d.recipient_lc, e->email_lc, sizeof(d.recipient_lc));
		memcpy(d.blind_index, c->blind_index, sizeof(d.blind_index));
		d.next_attempt_at = in->now;
		if (store_key_get(in->st, e->email_lc, &k) == 0 && k.compromised_at == 0) {
			fs_strlcpy(d.key_recipient, k.recipient, sizeof(d.key_recipient));
			fs_strlcpy(d.key_fingerprint, k.fingerprint, sizeof(d.key_fingerprint));
			fs_strlcpy(d.state, "pending", sizeof(d.state));
			queued++;
		} else
			fs_strlcpy(d.state, "failed", sizeof(d.state));
		if (store_delivery_insert(in->st, &d) < 0) {
			queued = -1;
			break;
		}
		if (strcmp(d.state, "failed") == 0) {
			fs_strlcpy(d.last_error, "aucune clé utilisable épinglée", sizeof(d.last_error));
			if (store_delivery_update(in->st, &d) < 0) {
				queued = -1;
				break;
			}
		}
	}
out:
	dir_ladder_free(&ladder);
	return queued;
}

/* ---- notices -------------------------------------------------------- */

int
outbox_notice(struct instance *in, const char *kind, const char *to, const char *case_ref,
    const char *subject, const char *body, const char *once_key)
{
	struct notice_row n;

	memset(&n, 0, sizeof(n));
	fs_strlcpy(n.kind, kind, sizeof(n.kind));
	fs_strlcpy(n.recipient, to, sizeof(n.recipient));
	fs_strlcpy(n.case_ref, case_ref ? case_ref : "", sizeof(n.case_ref));
	fs_strlcpy(n.subject, subject, sizeof(n.subject));
	fs_strlcpy(n.body, body, sizeof(n.body));
	fs_strlcpy(n.once_key, once_key ? once_key : "", sizeof(n.once_key));
	n.next_attempt_at = in->now;
	n.created_at = in->now;
	return store_notice_insert(in->st, &n);
}

/*
 * An invitation (relay/enrol) carries the opener page in « créer ma clé »
 * mode for its token, built when it is sent (the page is the binary's, so
 * a resent invitation carries the page of the running relay).  Other
 * notices carry nothing.  0 / -1 with err.
 */
static int
invitation_page(struct instance *in, const struct notice_row *n, struct outmail *om,
    struct buf *page, char *err, size_t errlen)
{
	size_t k = sizeof(ENROL_ONCE_PREFIX) - 1;

	if (strcmp(n->kind, ENROL_NOTICE_KIND) != 0)
		return 0;
	if (strncmp(n->once_key, ENROL_ONCE_PREFIX, k) != 0 ||
	    strlen(n->once_key + k) != INVITATION_TOKEN_LEN) {
		fs_seterr(err, errlen, "invitation sans jeton");
		return -1;
	}
	buf_free(page);
	if (outbox_opener_page(in, page, "enrol", n->once_key + k, err, errlen) < 0)
		return -1;
	om->attachment_name = OPENER_NAME;
	om->attachment = (const uint8_t *)page->p;
	om->attachment_len = page->len;
	om->attachment_type = OPENER_TYPE "; charset=utf-8";
	return 0;
}

static int
send_notice(struct pass *p, struct notice_row *n)
{
	struct instance *in = p->in;
	struct outmail om;
	struct buf mail, page;
	char err[ERRLEN], msgid[TOKEN_MSGID_MAX];
	uint8_t rnd[12];
	enum smtp_status st = SMTP_PERMFAIL;

	buf_init(&mail, 1024 * 1024);
	random_bytes(rnd, sizeof(rnd));
	fs_hex(msgid, rnd, sizeof(rnd));
	fs_strlcat(msgid, "@", sizeof(msgid));
	fs_strlcat(msgid, p->b.domain, sizeof(msgid));
	memset(&om, 0, sizeof(om));
	om.from = in->cfg.relay_address;
	om.to = n->recipient;
	om.subject = n->subject;
	om.message_id = msgid;
	om.date = (time_t)in->now;
	om.body_text = n->body;
	buf_init(&page, 0);
	if (invitation_page(in, n, &om, &page, err, sizeof(err)) == 0 &&
	    outmail_build(&mail, &om, err, sizeof(err)) == 0)
		st = smtp_session_send(p->session, in->cfg.relay_address, n->recipient, mail.p,
		    mail.len, err, sizeof(err));
	buf_free(&mail);
	buf_free(&page);
	if (login_refused(p, st, err))
		return 0;
	n->attempts++;
	if (st == SMTP_SENT) {
		fs_strlcpy(n->state, "sent", sizeof(n->state));
		n->sent_at = in->now;
		p->stats->notices_sent++;
	} else if (st == SMTP_TEMPFAIL && n->attempts < OUTBOX_MAX_ATTEMPTS) {
		n->next_attempt_at = in->now + outbox_backoff(n->attempts);
		p->stats->notices_retried++;
	} else
		fs_strlcpy(n->state, "failed", sizeof(n->state));
	fs_strlcpy(n->last_error, st == SMTP_SENT ? "" : err, sizeof(n->last_error));
	fprintf(stderr, "fsrelay serve : avis %lld (%s%s%s) : %s%s%s\n", (long long)n->id,
	    n->kind, n->case_ref[0] ? ", " : "", n->case_ref,
	    st == SMTP_SENT ? "envoyé" : "non envoyé", st == SMTP_SENT ? "" : " : ",
	    st == SMTP_SENT ? "" : err);
	return store_notice_update(in->st, n);
}

/* A case still queued long after escalation: tell its agent, once.  Only
 * those cases, through the index (issue 15). */
static int
queued_alerts(struct pass *p)
{
	struct instance *in = p->in;
	struct case_row *list = NULL;
	size_t n = 0, i;
	int64_t limit = in->cfg.queued_alert_minutes * 60, after = 0;
	int r = 0;

	do {
		if (store_case_stale(in->st, case_state_name(CASE_QUEUED), 0, in->now - limit + 1, after,
		    ALERT_PAGE, &list, &n) < 0)
			return -1;
		for (i = 0; i < n && r == 0; i++) {
			char *subject, *body;

			after = list[i].id;
			subject = xasprintf("[%s] Dossier toujours en attente d'envoi",
			    list[i].ref);
			body = xasprintf("Bonjour,\n\nLe dossier %s n'a pas encore pu être remis"
			    " au serveur de messagerie (saisi il y a plus de %ld minutes).  Le"
			    " relais réessaie automatiquement ; la dernière erreur est visible"
			    " avec « fsrelay show %s ».\n\n-- \nRelais sécurisé fsrelay\n",
			    list[i].ref, in->cfg.queued_alert_minutes, list[i].ref);
			r = notify_agent(in, &list[i], "queued-too-long", subject, body);
			free(subject);
			free(body);
		}
		free(list);
		list = NULL;
	} while (r == 0 && n == ALERT_PAGE);
	return r;
}

/* ---- a pass --------------------------------------------------------- */

static int
pass_open(struct pass *p, struct instance *in, struct outbox_stats *stats, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	p->in = in;
	p->stats = stats;
	if (builder_open(&p->b, in, err, errlen) < 0)
		return -1;
	if (smtp_conf_load(in, &p->smtp, &p->password, &p->password_len, err, errlen) < 0 ||
	    (p->session = smtp_session_open(&p->smtp, err, errlen)) == NULL)
		return -1;
	return 0;
}

static void
pass_close(struct pass *p)
{
	smtp_session_close(p->session);
	builder_close(&p->b);
	if (p->password)
		keystore_free(p->password, p->password_len);
}

/* ---- workers -------------------------------------------------------- */

/*
 * A pass with WORKERS_FROM due deliveries or more is shared between
 * outbox_workers child processes: worker k delivers the due deliveries of
 * index i with i % nw == k, with the same deliver() as a sequential pass.
 * Why this keeps the guarantees of the sequential pass:
 *
 * - No SQLite state crosses fork(): the parent closes its connection
 *   before forking (no transaction is open between two deliveries) and
 *   reopens it once every worker has ended; each worker opens its own.
 *   WAL and busy_timeout serialise the workers' write transactions.
 * - Each delivery is still committed on its own, after the server's 250
 *   (finish_delivery).  A worker that dies leaves its deliveries not yet
 *   recorded pending, due at once: the next pass takes them again, and at
 *   most the one being sent when it died is sent twice, with the same
 *   Message-ID -- what a crash of a sequential pass does, once per worker.
 * - settle_rung runs inside the delivery's BEGIN IMMEDIATE transaction,
 *   which holds the write lock and reads the latest committed rows: of two
 *   workers finishing the last two deliveries of a rung, only the second
 *   to commit sees none pending, so the rung settles exactly once.  The
 *   case row a worker read before its transaction cannot have been changed
 *   by another worker's settlement while one of its rung's deliveries was
 *   still pending (its own).
 * - Each worker has its own SMTP session, hence its own connection
 *   (STARTTLS still reuses none).  A child never touches the parent's
 *   session, which has no connection yet: deliveries come first in a pass
 *   and smtp_session_open makes none.
 * - Workers die with the parent (PR_SET_PDEATHSIG SIGKILL, set before any
 *   work): a kill -9 of serve leaves no half pass running.  Each closes
 *   its inherited copy of the serve lock (cmd_serve.c), so that the lock
 *   goes with serve itself: a restart right after a kill -9 is not refused
 *   while a killed worker is still being torn down.  Such a worker runs no
 *   more code; a write it had begun ends before its SQLite locks are
 *   released, and the database stays consistent (WAL).
 * - Workers end with _exit: no atexit handler, no flush of stdio buffers
 *   copied from the parent (flushed before fork anyway).
 */

enum { WORKER_OK = 0, WORKER_FAILED = 1, WORKER_ORPHAN = 2 };

/* Number of processes for a pass of nd due deliveries (1: no fork). */
static size_t
workers_for(const struct instance *in, size_t nd)
{
	long w = in->cfg.outbox_workers;

	if (nd < WORKERS_FROM || w <= 1)
		return 1;
	return w > WORKERS_MAX ? WORKERS_MAX : (size_t)w;
}

static void
stats_add(struct outbox_stats *to, const struct outbox_stats *s)
{
	to->sent += s->sent;
	to->retried += s->retried;
	to->failed += s->failed;
	to->blocked += s->blocked;
	to->notices_sent += s->notices_sent;
	to->notices_retried += s->notices_retried;
	to->login_refused += s->login_refused;
}

/* In the child: close the inherited descriptors of the serve lock file
 * (the lock itself stays with serve's own descriptor). */
static void
drop_serve_lock(const struct config *cfg)
{
	char *path = xasprintf("%s/serve.lock", cfg->data_dir);
	struct stat lk, sb;
	int fd;

	if (stat(path, &lk) == 0)
		for (fd = 3; fd < WORKER_FD_SCAN; fd++)
			if (fstat(fd, &sb) == 0 && sb.st_dev == lk.st_dev &&
			    sb.st_ino == lk.st_ino)
				(void)close(fd);
	free(path);
}

/* In the child: deliver share k of nw, counting into stats (shared with
 * the parent), then _exit. */
static _Noreturn void
worker_run(struct pass *p, struct delivery_row *d, size_t nd, size_t k, size_t nw,
    struct outbox_stats *stats, pid_t parent)
{
	struct instance *in = p->in;
	struct pass w = *p;	/* p and its session, the parent's: untouched */
	char err[ERRLEN], *path;
	size_t i;
	int status = WORKER_FAILED;

	if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent)
		_exit(WORKER_ORPHAN);	/* the parent is already gone */
	drop_serve_lock(&in->cfg);
	w.stats = stats;
	w.session = NULL;
	in->st = NULL;		/* closed by the parent before fork */
	path = config_store_path(&in->cfg);
	err[0] = '\0';
	if (store_open(&in->st, path, 0, err, sizeof(err)) < 0 ||
	    (w.session = smtp_session_open(&w.smtp, err, sizeof(err))) == NULL)
		fprintf(stderr, "fsrelay serve : processus d'envoi %zu : %s\n", k + 1, err);
	else {
		for (i = k; i < nd; i += nw)
			if (deliver(&w, &d[i]) < 0)
				break;
		if (i < nd)
			fprintf(stderr, "fsrelay serve : processus d'envoi %zu : base : %s\n",
			    k + 1, store_errmsg(in->st));
		else
			status = WORKER_OK;
	}
	smtp_session_close(w.session);
	store_close(&in->st);
	free(path);
	fflush(stderr);
	_exit(status);
}

/* Wait for worker k.  0 if it ended normally, or was killed: its
 * deliveries not yet recorded stay pending for the next pass (reported on
 * stderr); -1 if it failed on the store or its set-up. */
static int
worker_wait(pid_t pid, size_t k)
{
	pid_t r;
	int ws;

	while ((r = waitpid(pid, &ws, 0)) < 0 && errno == EINTR)
		;
	if (r < 0) {
		fprintf(stderr, "fsrelay serve : processus d'envoi %zu : attente impossible :"
		    " %s\n", k + 1, strerror(errno));
		return -1;
	}
	if (WIFEXITED(ws) && WEXITSTATUS(ws) == WORKER_OK)
		return 0;
	if (WIFSIGNALED(ws)) {
		fprintf(stderr, "fsrelay serve : processus d'envoi %zu arrêté par le signal %d :"
		    " ses envois non enregistrés restent en file pour la passe suivante\n",
		    k + 1, WTERMSIG(ws));
		return 0;
	}
	fprintf(stderr, "fsrelay serve : processus d'envoi %zu terminé en erreur (code %d)\n",
	    k + 1, WIFEXITED(ws) ? WEXITSTATUS(ws) : -1);
	return -1;
}

/* Deliver share k of nw in this process (a worker could not be forked). */
static int
deliver_share(struct pass *p, struct delivery_row *d, size_t nd, size_t k, size_t nw)
{
	size_t i;

	/* On SIGTERM (serve), the transaction under way ends and is recorded;
	 * the rest waits for the next start. */
	for (i = k; i < nd && !INSTANCE_STOPPING(p->in); i += nw)
		if (deliver(p, &d[i]) < 0)
			return -1;
	return 0;
}

/*
 * Deliver d[0..nd) with nw (2..WORKERS_MAX) worker processes, then reopen
 * the parent's store.  A share whose worker could not be forked is
 * delivered here afterwards.  0 on success; -1 with a French reason in err
 * if a worker or the store failed.
 */
static int
run_workers(struct pass *p, struct delivery_row *d, size_t nd, size_t nw, char *err, size_t errlen)
{
	struct instance *in = p->in;
	struct outbox_stats *shared;
	pid_t pid[WORKERS_MAX], parent = getpid();
	char *path;
	size_t k;
	int failed = 0, r;

	shared = mmap(NULL, nw * sizeof(*shared), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		if (deliver_share(p, d, nd, 0, 1) == 0)
			return 0;
		snprintf(err, errlen, "base : %s", store_errmsg(in->st));
		return -1;
	}
	store_close(&in->st);
	fflush(NULL);
	for (k = 0; k < nw; k++) {
		if ((pid[k] = fork()) == 0)
			worker_run(p, d, nd, k, nw, &shared[k], parent);
		if (pid[k] < 0)
			fprintf(stderr, "fsrelay serve : processus d'envoi %zu non créé (%s) :"
			    " sa part est envoyée par serve\n", k + 1, strerror(errno));
	}
	for (k = 0; k < nw; k++)
		if (pid[k] > 0 && worker_wait(pid[k], k) < 0)
			failed = 1;
	for (k = 0; k < nw; k++)
		stats_add(p->stats, &shared[k]);
	munmap(shared, nw * sizeof(*shared));
	path = config_store_path(&in->cfg);
	r = store_open(&in->st, path, 0, err, errlen);
	free(path);
	if (r < 0)
		return -1;
	if (failed) {
		snprintf(err, errlen, "base : échec d'un processus d'envoi (voir le journal)");
		return -1;
	}
	for (k = 0; k < nw; k++)
		if (pid[k] < 0 && deliver_share(p, d, nd, k, nw) < 0) {
			snprintf(err, errlen, "base : %s", store_errmsg(in->st));
			return -1;
		}
	return 0;
}

/* After a pass: the submission server's login state, logged once per
 * change, kept in the store for status and check. */
static int
submission_login(struct instance *in, const struct outbox_stats *s)
{
	if (s->login_refused) {
		if (!backoff_refused(&daemon_submission_login, clock_monotonic_ms(), in->now))
			return 0;
		daemon_log(LOG_WARNING, "serveur d'envoi : " SMTP_ERR_LOGIN_DENIED " (smtp_user,"
		    " smtp_password_file) : nouvel essai dans 1 s, puis un délai qui double"
		    " jusqu'à 5 min (journalisé au rétablissement)");
		return store_mark_set(in->st, "submission.login_refused_since",
		    daemon_submission_login.since);
	}
	if ((s->sent || s->notices_sent) && backoff_accepted(&daemon_submission_login)) {
		daemon_log(LOG_NOTICE, "serveur d'envoi : connexion rétablie");
		return store_mark_set(in->st, "submission.login_refused_since", 0);
	}
	return 0;
}

int
outbox_run(struct instance *in, struct outbox_stats *stats, char *err, size_t errlen)
{
	struct delivery_row *d = NULL;
	struct notice_row *n = NULL;
	struct pass p;
	size_t nd = 0, nn = 0, nw, i;
	char detail[ERRLEN];
	int r = -1, smtp_due;

	memset(stats, 0, sizeof(*stats));
	if (pass_open(&p, in, stats, detail, sizeof(detail)) < 0) {
		snprintf(err, errlen, "%s", detail);
		pass_close(&p);
		return -1;
	}
	/* A server that refused the login is not asked again before its
	 * back-off ends: nothing is sent, nothing counts as an attempt. */
	smtp_due = backoff_due(&daemon_submission_login, clock_monotonic_ms());
	if (smtp_due && store_delivery_due(in->st, in->now, OUTBOX_BATCH, &d, &nd) < 0)
		goto store_fail;
	if ((nw = workers_for(in, nd)) > 1) {
		if (run_workers(&p, d, nd, nw, detail, sizeof(detail)) < 0) {
			snprintf(err, errlen, "%s", detail);
			goto out;
		}
		p.login_refused = stats->login_refused > 0;
	} else if (deliver_share(&p, d, nd, 0, 1) < 0)
		goto store_fail;
	if (queued_alerts(&p) < 0 ||
	    (smtp_due && store_notice_due(in->st, in->now, OUTBOX_BATCH, &n, &nn) < 0))
		goto store_fail;
	/* SIGTERM: the notices left are due again at the next start. */
	for (i = 0; i < nn && !INSTANCE_STOPPING(in) && !p.login_refused; i++)
		if (send_notice(&p, &n[i]) < 0)
			goto store_fail;
	if (submission_login(in, stats) < 0)
		goto store_fail;
	r = 0;
	goto out;
store_fail:
	snprintf(err, errlen, "base : %s", store_errmsg(in->st));
out:
	free(d);
	free(n);
	pass_close(&p);
	return r;
}

int
outbox_mandate_renew(struct instance *in, const char *ref, const char *signed_on,
    const char *sha256, const char *actor, char *err, size_t errlen)
{
	struct case_row c;
	struct lc_step st;
	struct delivery_row *dl = NULL;
	struct pause_row pause;
	struct cal_tm today;
	struct buf b, enc;
	struct person pp;
	uint8_t *dek = NULL;
	size_t n = 0, i, pending = 0;
	int y, m, d, r = -1, paused;

	memset(&pp, 0, sizeof(pp));
	buf_init(&b, 8192);
	buf_init(&enc, 8192);
	if ((r = store_case_get(in->st, ref, &c)) != 0) {
		fs_seterr(err, errlen, r < 0 ? "base : %s" : "dossier inconnu « %s »",
		    r < 0 ? store_errmsg(in->st) : ref);
		r = -1;
		goto out;
	}
	r = -1;
	if (case_may(&c, LC_MANDATE_RENEWED, &st) == LC_REFUSE) {
		fs_seterr(err, errlen, "%s : %s", c.ref, st.why);
		goto out;
	}
	if (cal_parse_date(signed_on, &y, &m, &d) < 0 || cal_to_paris(in->now, &today) < 0) {
		fs_seterr(err, errlen, "--mandat-signe-le : date AAAA-MM-JJ attendue");
		goto out;
	}
	switch (case_mandate_check(y, m, d, today.year, today.mon, today.mday)) {
	case -1:
		fs_seterr(err, errlen, "mandat signé le %s : date dans le futur", signed_on);
		goto out;
	case -2:
		fs_seterr(err, errlen, "mandat signé le %s : expiré (valable un an)", signed_on);
		goto out;
	}
	if ((dek = sealed_case_key(in, c.id, err, errlen)) == NULL)
		goto out;
	if (sealed_get(in, dek, "cases", "person", c.id, &b, 8192) != 0 ||
	    person_decode(&pp, b.p, b.len) < 0) {
		fs_seterr(err, errlen, "données du dossier illisibles (altérées ?)");
		goto out;
	}
	fs_strlcpy(pp.mandat_signe_le, signed_on, sizeof(pp.mandat_signe_le));
	fs_strlcpy(pp.mandat_sha256, sha256 ? sha256 : "", sizeof(pp.mandat_sha256));
	if (person_encode(&enc, &pp) < 0 || store_delivery_list(in->st, c.id, &dl, &n) < 0 ||
	    (paused = store_pause_open(in->st, c.id, &pause)) < 0 || store_begin(in->st) < 0)
		goto store_fail;
	/* the prepared mails carry the old mandate: built again */
	for (i = 0; i < n; i++)
		if (strcmp(dl[i].state, "pending") == 0) {
			pending++;
			if (store_prepared_drop(in->st, dl[i].id) < 0)
				goto rollback;
		}
	if (sealed_put(in, dek, "cases", "person", c.id, enc.p, enc.len) < 0 ||
	    store_event(in->st, in->now, actor, "case.mandate_renewed", c.ref, "ok") < 0)
		goto rollback;
	/* Held for its mandate (waiting_user with no pause of the agent's): it
	 * goes on, queued again; with nothing left to send it awaits (a resume
	 * with no pause to close). */
	if (case_state_of(c.state) == CASE_WAITING_USER && paused == 1 &&
	    case_step(in->st, &c, pending ? LC_MANDATE_RENEWED : LC_RESUME, in->now, NULL) !=
	    LC_APPLY)
		goto rollback;
	if (store_commit(in->st) < 0)
		goto rollback;
	r = 0;
	(void)outbox_prepare(in, c.id, "mandate renew");
	goto out;
rollback:
	store_rollback(in->st);
store_fail:
	fs_seterr(err, errlen, "base : %s", store_errmsg(in->st));
out:
	if (dek)
		vault_key_free(dek);
	sodium_memzero(&pp, sizeof(pp));
	buf_free(&b);
	buf_free(&enc);
	free(dl);
	return r;
}

int
outbox_mandate_valid(struct instance *in, const struct case_row *c, char *err, size_t errlen)
{
	uint8_t *dek;
	int r;

	if ((dek = sealed_case_key(in, c->id, err, errlen)) == NULL)
		return -1;
	r = mandate_at_send(in, dek, c);
	vault_key_free(dek);
	if (r == 0)
		return 0;
	if (r < 0)
		fs_seterr(err, errlen, "mandat illisible : rien n'est envoyé");
	else
		fs_seterr(err, errlen, "le mandat de la personne n'est plus valable (un an après"
		    " sa signature) : rien n'est envoyé ; faites signer un nouveau mandat puis"
		    " « fsrelay mandate renew %s --mandat-signe-le AAAA-MM-JJ »", c->ref);
	return -1;
}

/* The mandate of c: a reminder when its last valid day is near. */
static int
mandate_remind_one(struct instance *in, const struct case_row *c)
{
	struct buf b;
	struct person pp;
	char until[11], once[96], err[256], *subject, *body;
	uint8_t *dek;
	int64_t t_until;
	int y, m, d, r = 0;

	if ((dek = sealed_case_key(in, c->id, err, sizeof(err))) == NULL)
		return 0;	/* shredded meanwhile, or unreadable: the send says so */
	buf_init(&b, 8192);
	memset(&pp, 0, sizeof(pp));
	if (sealed_get(in, dek, "cases", "person", c->id, &b, 8192) == 0 &&
	    person_decode(&pp, b.p, b.len) == 0 &&
	    cal_parse_date(pp.mandat_signe_le, &y, &m, &d) == 0) {
		case_mandate_until(y, m, d, until);
		if (cal_parse_date(until, &y, &m, &d) == 0 &&
		    cal_paris_midnight(y, m, d, &t_until) == 0 &&
		    in->now >= t_until - (in->cfg.mandate_reminder_days - 1) * 86400 &&
		    in->now < t_until + 86400) {
			snprintf(once, sizeof(once), "mandate-reminder:%s:%s", c->ref,
			    pp.mandat_signe_le);
			subject = xasprintf("[%s] Mandat valable jusqu'au %s : à renouveler", c->ref,
			    until);
			body = xasprintf("Bonjour,\n\nLe mandat de la personne pour le dossier %s"
			    " est valable jusqu'au %s inclus (un an après sa signature, convention"
			    " France Services, annexe 7).  Après cette date, plus rien du dossier ne"
			    " part.\n\nSi la démarche continue, faites signer un nouveau mandat puis :"
			    "\n\n    fsrelay mandate renew %s --mandat-signe-le AAAA-MM-JJ\n\n-- \n"
			    "Relais sécurisé fsrelay\n", c->ref, until, c->ref);
			r = outbox_agent_notice(in, "mandate-reminder", c, subject, body, once);
			free(subject);
			free(body);
		}
	}
	sodium_memzero(&pp, sizeof(pp));
	buf_free(&b);
	vault_key_free(dek);
	return r;
}

int
outbox_mandate_reminders(struct instance *in, char *err, size_t errlen)
{
	static const enum case_state open[] = { CASE_QUEUED, CASE_AWAITING, CASE_ANSWERED,
		CASE_WAITING_USER };
	struct case_row *list = NULL;
	struct cal_tm today;
	int64_t day, done = 0, after;
	size_t n = 0, i, k;
	int r = 0;

	if (cal_to_paris(in->now, &today) < 0 ||
	    cal_paris_midnight(today.year, today.mon, today.mday, &day) < 0)
		return 0;
	if (store_mark_get(in->st, "mandate.reminders_day", &done) < 0)
		goto fail;
	if (done == day)
		return 0;	/* once a day */
	for (k = 0; k < FS_ARRAY_LEN(open) && r == 0; k++) {
		after = 0;
		do {
			if (store_case_stale(in->st, case_state_name(open[k]), 0, INT64_MAX, after,
			    256, &list, &n) < 0)
				goto fail;
			for (i = 0; i < n && r == 0 && !INSTANCE_STOPPING(in); i++) {
				after = list[i].id;
				r = mandate_remind_one(in, &list[i]);
			}
			free(list);
			list = NULL;
		} while (r == 0 && n == 256 && !INSTANCE_STOPPING(in));
	}
	if (r == 0 && !INSTANCE_STOPPING(in) &&
	    store_mark_set(in->st, "mandate.reminders_day", day) == 0)
		return 0;
fail:
	fs_seterr(err, errlen, "rappels de mandat : base : %s", store_errmsg(in->st));
	return -1;
}

int
outbox_mandate_scope(struct instance *in, const struct case_row *c, unsigned *scope,
    char *err, size_t errlen)
{
	struct buf b;
	struct person pp;
	uint8_t *dek;
	int r = -1;

	if ((dek = sealed_case_key(in, c->id, err, errlen)) == NULL)
		return -1;
	buf_init(&b, 8192);
	memset(&pp, 0, sizeof(pp));
	if (sealed_get(in, dek, "cases", "person", c->id, &b, 8192) == 0 &&
	    person_decode(&pp, b.p, b.len) == 0) {
		*scope = case_scope_of(&pp);
		r = 0;
	} else
		fs_seterr(err, errlen, "mandat illisible : rien n'est envoyé");
	sodium_memzero(&pp, sizeof(pp));
	buf_free(&b);
	vault_key_free(dek);
	return r;
}
