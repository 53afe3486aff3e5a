/*
 * test_mime - unit tests of adapters/mime (headers, RFC 2047/2231,
 * charsets, bodies, HTML reduction, attachments, DSN data, limits,
 * serialisation) and of relay/quote (folding in the clients' styles).
 */
#include "adapters/mime.h"
#include "relay/quote.h"
#include "relay/util.h"

#include "tests/unit/t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int
parse(const char *raw, struct parsed_mail *m)
{
	char err[128];

	return mime_parse(raw, strlen(raw), m, err, sizeof(err));
}

static int
parse_file(const char *name, struct parsed_mail *m)
{
	struct buf b;
	char path[256], err[128];
	int rc;

	snprintf(path, sizeof(path), "tests/fixtures/mail/%s", name);
	buf_init(&b, MIME_MSG_MAX + 1);
	if (buf_read_file(&b, path) == -1) {
		CHECK(!"fixture missing");
		return -1;
	}
	rc = mime_parse(b.p, b.len, m, err, sizeof(err));
	buf_free(&b);
	return rc;
}

static void
test_headers(void)
{
	struct parsed_mail m;

	CHECK_INT(parse_file("01_outlook_fr_top.eml", &m), 0);
	CHECK_STR(m.from, "sophie.martin@caf92.exemple.fr");
	CHECK_STR(m.from_name, "MARTIN Sophie");
	CHECK_STR(m.subject, "RE: [FS-92032-2026-000101] CAF – Prime "
	    "d'activité");
	CHECK_STR(m.message_id,
	    "PR3P192MB0716A1B2C3D4E5F6@PR3P192MB0716.EURP192.PROD.OUTLOOK.COM");
	CHECK_STR(m.in_reply_to,
	    "FS-92032-2026-000101.1.2349ce363f831ad4@relay.fsrelay.test");
	CHECK_INT(m.references.n, 1);
	CHECK_INT(m.to.n, 1);
	CHECK_STR(m.to.v[0], "relais+220a4cb963fe325c12dd@relay.fsrelay.test");
	CHECK(strstr(m.text, "La prime d'activité sera versée") != NULL);
	CHECK_INT(m.text_from_html, 0);
	CHECK_INT(m.dsn.kind, MIME_DSN_NONE);
	mime_free(&m);

	/* Split encoded words, ISO-8859-1 B and Windows-1252 Q. */
	CHECK_INT(parse_file("09_subject_b_iso.eml", &m), 0);
	CHECK_STR(m.subject, "Ré : [FS-92032-2026-000102] CPAM - Dossier "
	    "complété");
	CHECK(strstr(m.text, "Le dossier est complété ; l'assurée") != NULL);
	mime_free(&m);
	CHECK_INT(parse_file("10_subject_q_cp1252.eml", &m), 0);
	CHECK_STR(m.subject, "RE\xc2\xa0: [FS-92032-2026-000101] Rappel – montant "
	    "de 187 € d’aide");
	CHECK(strstr(m.text, "187 € correspond à l’aide de mai — c’est") !=
	    NULL);
	mime_free(&m);

	/* A UTF-8 character split across two encoded words survives. */
	CHECK_INT(parse("From: a@b.fr\nSubject: =?utf-8?B?w6k=?= "
	    "=?utf-8?Q?=C3?= =?utf-8?Q?=A9t=C3=A9?=\n\nx\n", &m), 0);
	CHECK_STR(m.subject, "éété");
	mime_free(&m);

	/* Automation headers, lists, Return-Path <>. */
	CHECK_INT(parse("From: \"X\" <X@Y.FR>\nTo: a@b.fr, Grp: c@d.fr, "
	    "E@F.fr;\nCc: g@h.fr\nReturn-Path: <>\nAuto-Submitted: "
	    "auto-replied\nX-Loop: relais@relay.test\nPrecedence: bulk\n"
	    "Authentication-Results: mx; dmarc=pass\nAuthentication-Results:"
	    " other;\n dkim=fail\n\nbody\n", &m), 0);
	CHECK_STR(m.from, "x@y.fr");
	CHECK_INT(m.to.n, 3);
	if (m.to.n == 3)
		CHECK_STR(m.to.v[2], "e@f.fr");
	CHECK_INT(m.cc.n, 1);
	CHECK_STR(m.return_path, "");
	CHECK_STR(m.auto_submitted, "auto-replied");
	CHECK_STR(m.precedence, "bulk");
	CHECK_INT(m.x_loop.n, 1);
	CHECK_INT(m.auth_results.n, 2);
	if (m.auth_results.n == 2)
		CHECK_STR(m.auth_results.v[1], "other; dkim=fail");
	CHECK_STR(m.subject, "");
	mime_free(&m);
}

static void
test_bodies(void)
{
	struct parsed_mail m;

	/* multipart/alternative: text/plain preferred. */
	CHECK_INT(parse_file("04_gmail_fr_wrapped.eml", &m), 0);
	CHECK(strstr(m.text, "l'usager recevra un SMS") != NULL);
	CHECK(strstr(m.text, "<div") == NULL);
	CHECK_INT(m.n_att, 0);
	mime_free(&m);

	/* HTML only: tags stripped, entities decoded, script/style/title
	 * dropped, blockquote marked as quote, charset converted. */
	CHECK_INT(parse_file("08_html_only.eml", &m), 0);
	CHECK_INT(m.text_from_html, 1);
	CHECK(strstr(m.text, "Le versement a été effectué le 13\xc2\xa0mai") !=
	    NULL || strstr(m.text, "Le versement a été effectué le 13 mai") !=
	    NULL);
	CHECK(strstr(m.text, "187 €") != NULL);
	CHECK(strstr(m.text, "Cordialement,\nMarc Leroy") != NULL);
	CHECK(strstr(m.text, "> Bonjour,") != NULL);
	CHECK(strstr(m.text, "alert") == NULL);
	CHECK(strstr(m.text, "margin") == NULL);
	CHECK(strchr(m.text, '<') == NULL);
	mime_free(&m);

	/* CRLF + base64 text. */
	CHECK_INT(parse_file("45_crlf_outlook.eml", &m), 0);
	CHECK(strstr(m.text, "C’est noté, merci.") != NULL);
	CHECK(strchr(m.text, '\r') == NULL);
	mime_free(&m);

	/* A quoted-printable part ending in "= " at the very end of an
	 * exactly-sized buffer (libetpan's decoder reads past it). */
	{
		static const char qp[] = "From: a@b.fr\nContent-Type: text/plain;"
		    " charset=iso-8859-1\nContent-Transfer-Encoding: "
		    "quoted-printable\n\nd=E9j=E0 soft=\nbreak =3D ok= ";
		char *exact = xmalloc(sizeof(qp) - 1);

		memcpy(exact, qp, sizeof(qp) - 1);
		CHECK_INT(mime_parse(exact, sizeof(qp) - 1, &m, NULL, 0), 0);
		CHECK_STR(m.text, "déjà softbreak = ok");
		mime_free(&m);
		free(exact);
	}
	CHECK_INT(parse("From: a@b.fr\nContent-Transfer-Encoding: base64\n\n"
	    "QnVyZWF1\nIGQnYWNj\r\nw6h1aWw=\n", &m), 0);
	CHECK_STR(m.text, "Bureau d'accèuil");
	mime_free(&m);

	/* Undeclared 8-bit that is not UTF-8 is read as Windows-1252. */
	CHECK_INT(parse("From: a@b.fr\n\nd\xe9j\xe0 \x80\n", &m), 0);
	CHECK_STR(m.text, "déjà €\n");
	mime_free(&m);

	/* Invalid UTF-8 declared as UTF-8 is repaired. */
	CHECK_INT(parse("From: a@b.fr\nContent-Type: text/plain; "
	    "charset=utf-8\n\nok \xff\xfe ok\n", &m), 0);
	CHECK_STR(m.text, "ok \xef\xbf\xbd\xef\xbf\xbd ok\n");
	mime_free(&m);
}

static void
test_attachments(void)
{
	struct parsed_mail m;

	CHECK_INT(parse_file("11_attach_pdf.eml", &m), 0);
	CHECK_INT(m.n_att, 1);
	if (m.n_att == 1) {
		CHECK_STR(m.att[0].name, "attestation de paiement été.pdf");
		CHECK_STR(m.att[0].type, "application/pdf");
		CHECK(m.att[0].len > 8 && memcmp(m.att[0].data, "%PDF-1.4",
		    8) == 0);
		CHECK_INT(m.att[0].is_age, 0);
	}
	mime_free(&m);

	CHECK_INT(parse_file("12_winmail.eml", &m), 0);
	CHECK_INT(m.n_att, 1);
	if (m.n_att == 1) {
		CHECK_STR(m.att[0].name, "winmail.dat");
		CHECK_INT(m.att[0].is_tnef, 1);
		CHECK(m.att[0].len > 4 && (uint8_t)m.att[0].data[0] == 0x78 &&
		    (uint8_t)m.att[0].data[1] == 0x9f);
	}
	CHECK(strstr(m.text, "Voir la pièce jointe.") != NULL);
	mime_free(&m);

	CHECK_INT(parse_file("13_attach_rfc822.eml", &m), 0);
	CHECK_INT(m.n_att, 1);
	if (m.n_att == 1) {
		CHECK_INT(m.att[0].is_rfc822, 1);
		CHECK_STR(m.att[0].type, "message/rfc822");
		CHECK_STR(m.att[0].rfc822_message_id,
		    "pref-20260515-0042@prefecture.exemple.fr");
		CHECK_STR(m.att[0].name, "Echange prefecture.eml");
	}
	CHECK_INT(m.dsn.kind, MIME_DSN_NONE);
	mime_free(&m);

	CHECK_INT(parse_file("47_attach_age.eml", &m), 0);
	CHECK_INT(m.n_att, 1);
	if (m.n_att == 1)
		CHECK_INT(m.att[0].is_age, 1);
	mime_free(&m);

	/* RFC 2231 continuations, path separators neutralised. */
	CHECK_INT(parse("From: a@b.fr\nContent-Type: multipart/mixed; "
	    "boundary=XX\n\n--XX\nContent-Type: text/plain\n\nhi\n--XX\n"
	    "Content-Type: application/octet-stream\nContent-Disposition: "
	    "attachment; filename*0*=iso-8859-1''..%2F%E9t; filename*1=\"e.txt\"\n"
	    "\nDATA\n--XX--\n", &m), 0);
	CHECK_INT(m.n_att, 1);
	if (m.n_att == 1)
		CHECK_STR(m.att[0].name, ".._éte.txt");
	mime_free(&m);
}

static void
test_dsn(void)
{
	struct parsed_mail m;

	CHECK_INT(parse_file("26_dsn_postfix.eml", &m), 0);
	CHECK_INT(m.dsn.kind, MIME_DSN_REPORT);
	CHECK_STR(m.dsn.final_recipient, "sophie.martin@caf92.exemple.fr");
	CHECK_STR(m.dsn.original_recipient, "sophie.martin@caf92.exemple.fr");
	CHECK_STR(m.dsn.action, "failed");
	CHECK_STR(m.dsn.status, "5.1.1");
	CHECK_INT(m.dsn.permanent, 1);
	CHECK_STR(m.dsn.original_message_id,
	    "FS-92032-2026-000101.1.2349ce363f831ad4@relay.fsrelay.test");
	CHECK_STR(m.auto_submitted, "auto-replied");
	mime_free(&m);

	CHECK_INT(parse_file("27_dsn_postfix_delayed.eml", &m), 0);
	CHECK_INT(m.dsn.kind, MIME_DSN_REPORT);
	CHECK_STR(m.dsn.action, "delayed");
	CHECK_STR(m.dsn.status, "4.4.1");
	CHECK_INT(m.dsn.permanent, 0);
	mime_free(&m);

	CHECK_INT(parse_file("28_dsn_exchange.eml", &m), 0);
	CHECK_INT(m.dsn.kind, MIME_DSN_REPORT);
	CHECK_STR(m.dsn.status, "5.1.10");
	CHECK_STR(m.dsn.original_message_id,
	    "FS-2A004-2026-000015.1.419d4ab6d6247c67@relay.fsrelay.test");
	CHECK(strstr(m.text, "Impossible de remettre") != NULL);
	mime_free(&m);

	CHECK_INT(parse_file("29_dsn_gmail_text.eml", &m), 0);
	CHECK_INT(m.dsn.kind, MIME_DSN_TEXT);
	CHECK_STR(m.dsn.final_recipient, "marc.leroy@caf92.exemple.fr");
	CHECK_STR(m.dsn.original_message_id,
	    "FS-92032-2026-000101.2.c35a2f9b64a07d59@relay.fsrelay.test");
	CHECK_INT(m.dsn.permanent, 1);
	mime_free(&m);

	CHECK_INT(parse_file("30_dsn_qmail.eml", &m), 0);
	CHECK_INT(m.dsn.kind, MIME_DSN_QMAIL);
	CHECK_STR(m.dsn.final_recipient, "claire.dubois@cpam92.exemple.fr");
	CHECK_STR(m.dsn.status, "5.1.1");
	CHECK_STR(m.dsn.original_message_id,
	    "FS-92032-2026-000102.1.0c05feacd6ebfcfc@relay.fsrelay.test");
	mime_free(&m);

	/* A person quoting "Message-ID:" is no bounce. */
	CHECK_INT(parse("From: a@b.fr\nSubject: Undeliverable: x\n\nMessage-ID:"
	    " <x@y>\n", &m), 0);
	CHECK_INT(m.dsn.kind, MIME_DSN_NONE);
	mime_free(&m);

	CHECK_INT(parse_file("46_mdn_read_receipt.eml", &m), 0);
	CHECK_INT(m.report_mdn, 1);
	CHECK_INT(m.dsn.kind, MIME_DSN_NONE);
	mime_free(&m);
}

static void
test_malformed(void)
{
	struct parsed_mail m;
	struct buf b;
	char err[128];
	size_t i;

	err[0] = '\0';
	CHECK_INT(parse_file("39_malformed_boundary.eml", &m), -1);
	CHECK_INT(parse_file("40_malformed_garbage.eml", &m), -1);
	CHECK_INT(parse_file("41_malformed_deep.eml", &m), -1);
	CHECK_INT(parse("Subject: no from\n\nx\n", &m), -1);
	CHECK_INT(parse("", &m), -1);
	CHECK_INT(mime_parse("From: a@b.fr\nX: a\0b\n\nx", 20, &m, err,
	    sizeof(err)), -1);
	CHECK(err[0] != '\0');
	mime_free(&m);		/* harmless on an empty model */

	/* Too many header fields. */
	buf_init(&b, 1024 * 1024);
	(void)buf_puts(&b, "From: a@b.fr\n");
	for (i = 0; i <= MIME_HEADERS_MAX; i++)
		(void)buf_puts(&b, "X-A: b\n");
	(void)buf_puts(&b, "\nx\n");
	CHECK_INT(mime_parse(b.p, b.len, &m, err, sizeof(err)), -1);
	buf_free(&b);

	/* Too many parts. */
	buf_init(&b, 1024 * 1024);
	(void)buf_puts(&b, "From: a@b.fr\nContent-Type: multipart/mixed; "
	    "boundary=Z\n\n");
	for (i = 0; i <= MIME_PARTS_MAX; i++)
		(void)buf_puts(&b, "--Z\nContent-Type: text/plain\n\nx\n");
	(void)buf_puts(&b, "--Z--\n");
	CHECK_INT(mime_parse(b.p, b.len, &m, err, sizeof(err)), -1);
	buf_free(&b);

	/* Too large: refused before anything is read. */
	CHECK_INT(mime_parse("From: a@b.fr\n\n", (size_t)MIME_MSG_MAX + 1, &m,
	    err, sizeof(err)), -1);
}

static void
test_serialize(void)
{
	struct parsed_mail m, m2;
	struct buf b;
	size_t i;

	CHECK_INT(parse_file("11_attach_pdf.eml", &m), 0);
	buf_init(&b, 1024 * 1024);
	CHECK_INT(mime_serialize(&m, &b), 0);
	CHECK_INT(mime_deserialize((const uint8_t *)b.p, b.len, &m2), 0);
	CHECK_STR(m2.subject, m.subject);
	CHECK_STR(m2.text, m.text);
	CHECK_INT(m2.n_att, 1);
	if (m2.n_att == 1) {
		CHECK_INT(m2.att[0].len, m.att[0].len);
		CHECK(memcmp(m2.att[0].data, m.att[0].data, m.att[0].len) == 0);
		CHECK_STR(m2.att[0].name, m.att[0].name);
	}
	mime_free(&m2);
	/* Truncated, extended or corrupted input is refused. */
	CHECK_INT(mime_deserialize((const uint8_t *)b.p, b.len - 1, &m2), -1);
	(void)buf_append(&b, "x", 1);
	CHECK_INT(mime_deserialize((const uint8_t *)b.p, b.len, &m2), -1);
	b.len--;
	for (i = 4; i < 40 && i < b.len; i++) {
		char save = b.p[i];

		b.p[i] = (char)0xff;
		if (mime_deserialize((const uint8_t *)b.p, b.len, &m2) == 0)
			mime_free(&m2);	/* may still be valid: no crash */
		b.p[i] = save;
	}
	CHECK_INT(mime_deserialize((const uint8_t *)"FSM0", 4, &m2), -1);
	buf_free(&b);
	mime_free(&m);
}

/* quote_fold_known on text with the thread's known text, compared with want. */
static void
fold_known_is(const char *text, const char *known, const char *want, int want_folded)
{
	struct buf b;
	int folded = -1;

	buf_init(&b, 64 * 1024);
	CHECK_INT(quote_fold_known(text, known, known ? strlen(known) : 0, &b, &folded), 0);
	CHECK_STR(b.p != NULL ? b.p : "", want);
	CHECK_INT(folded, want_folded);
	buf_free(&b);
}

static void
fold_is(const char *text, const char *want, int want_folded)
{
	fold_known_is(text, NULL, want, want_folded);
}

/* The cover note the referent's client quotes (its words, wrapped anew). */
#define SENT	"Bonjour,\n\nFontenay vous transmet un dossier bloqué qui relève de" \
	" votre service, au titre de la convention France Services.\nPour répondre," \
	" répondez simplement à ce message.\n"

static void
test_quote(void)
{
	/* Outlook FR, top-posting: the history repeats the mail we sent. */
	fold_known_is("Bonjour,\nC'est fait.\n\nDe : relais@r.fr <relais@r.fr>\n"
	    "Envoyé : lundi 11 mai 2026 16:03\nÀ : X\nObjet : [FS]\n\nBonjour,\n"
	    "Fontenay vous transmet un dossier bloqué qui relève\nde votre service, au"
	    " titre de la convention France Services.\n", SENT,
	    "Bonjour,\nC'est fait.\n\n" QUOTE_MARK "\n", 1);
	/* Outlook EN with the rule and bold markers. */
	fold_known_is("Done.\n________________________________\n*From:* relais\n"
	    "*Sent:* Monday\n*To:* me\nold text here\n", "the old text here.",
	    "Done.\n\n" QUOTE_MARK "\n", 1);
	fold_known_is("Done.\n-----Original Message-----\nFrom: x\nold\n", "old",
	    "Done.\n\n" QUOTE_MARK "\n", 1);
	fold_known_is("Vu.\n-----Message d'origine-----\nDe : x\nvieux\n", "vieux",
	    "Vu.\n\n" QUOTE_MARK "\n", 1);
	/* Zimbra. */
	fold_known_is("Merci.\n\n----- Mail original -----\nDe: relais\nÀ: moi\n"
	    "vieux\n", "vieux", "Merci.\n\n" QUOTE_MARK "\n", 1);
	/* The same blocks when their text is not the thread's: kept (issue 11:
	 * only what is proven to be a quote is folded). */
	fold_known_is("Vu.\n-----Message d'origine-----\nDe : x\nle service a changé\n",
	    SENT, "Vu.\n-----Message d'origine-----\nDe : x\nle service a changé\n", 0);
	fold_is("Bonjour,\nC'est fait.\n\nDe : relais@r.fr\nEnvoyé : lundi\nvieux\n",
	    "Bonjour,\nC'est fait.\n\nDe : relais@r.fr\nEnvoyé : lundi\nvieux\n", 0);
	/* Gmail, attribution wrapped over two lines, NBSP before ':'. */
	fold_is("OK\n\nLe mar. 12 mai 2026 à 09:15, Relais <\nrelais@r.fr> a "
	    "écrit\xc2\xa0:\n\n> vieux\n> vieux\n", "OK\n\n" QUOTE_MARK "\n", 1);
	/* English attribution. */
	fold_is("Fine.\nOn Tue, 12 May 2026 at 09:15, Relais <r@r.fr> wrote:\n"
	    "> old\n", "Fine.\n\n" QUOTE_MARK "\n", 1);
	/* Bottom / inline posting: the new lines after quotes are kept; a
	 * later '>' block after the attribution is history too. */
	fold_is("Le 11/05/2026 à 16:03, relais a écrit :\n> q1\n>\n> q2\n\n"
	    "réponse 1\n\n> q3\n\nréponse 2\n",
	    QUOTE_MARK "\n\nréponse 1\n\n" QUOTE_MARK "\n\nréponse 2\n", 2);
	/* Apple Mail quotes its attribution too. */
	fold_is("Claire\n\n> Le 11 mai 2026 à 16:20, r a écrit :\n>\n> vieux\n",
	    "Claire\n\n" QUOTE_MARK "\n", 1);
	/* Issue 11: the referent's own sentence « Le médecin-conseil a écrit : »
	 * and the lines after it are the answer, never history. */
	fold_known_is("Bonjour,\n\nLe médecin-conseil a écrit :\nl'arrêt de travail est"
	    " justifié, les indemnités seront versées sous huit jours.\n\nCordialement\n",
	    SENT, "Bonjour,\n\nLe médecin-conseil a écrit :\nl'arrêt de travail est"
	    " justifié, les indemnités seront versées sous huit jours.\n\nCordialement\n", 0);
	/* ... also when the mail we sent is quoted below it. */
	fold_known_is("Le médecin-conseil a écrit :\nle dossier est accepté.\n\n"
	    "Le 11 mai 2026 à 16:03, relais a écrit :\n> Bonjour,\n> Fontenay vous transmet\n",
	    SENT, "Le médecin-conseil a écrit :\nle dossier est accepté.\n\n" QUOTE_MARK "\n", 1);
	/* A '>' block with no attribution: folded when it repeats the thread,
	 * kept when it does not (a referent's own '>' lines). */
	fold_known_is("Réponse.\n> Pour répondre, répondez simplement à ce message.\n", SENT,
	    "Réponse.\n\n" QUOTE_MARK "\n", 1);
	fold_known_is("Réponse.\n> nouveau plafond : 1 200 euros\nFin.\n", SENT,
	    "Réponse.\n> nouveau plafond : 1 200 euros\nFin.\n", 0);
	/* Nothing to fold. */
	fold_is("Bonjour,\nrien à replier.", "Bonjour,\nrien à replier.\n", 0);
	/* A mention of "De :" without Envoyé is no separator. */
	fold_is("De : mon côté c'est bon.\nMerci\n",
	    "De : mon côté c'est bon.\nMerci\n", 0);
	/* Only quotes: the text is kept whole. */
	fold_is("> a\n> b\n", "> a\n> b\n", 0);
	/* CRLF in, LF out. */
	fold_known_is("a\r\n> b\r\n", "b", "a\n\n" QUOTE_MARK "\n", 1);
	fold_is("", "", 0);
	CHECK_INT(quote_history_marks("Bonjour,\nrien.\n"), 0);
	CHECK(quote_history_marks("Oui.\n> vieux\n") > 0);
}

int
main(void)
{
	test_headers();
	test_bodies();
	test_attachments();
	test_dsn();
	test_malformed();
	test_serialize();
	test_quote();
	return t_done();
}
