/* test_case - references, states, field checks, mandate validity, person
 * serialisation, and the keyed tokens. */
#include "relay/case.h"
#include "relay/token.h"
#include "relay/util.h"
#include "tests/unit/t.h"

#include <sodium.h>

static void
test_refs(void)
{
	char ref[CASE_REF_LEN + 1];
	enum case_state s;

	CHECK_INT(case_ref_format(ref, "92032", 2026, 123), 0);
	CHECK_STR(ref, "FS-92032-2026-000123");
	CHECK(case_ref_valid(ref));
	CHECK_INT(case_ref_format(ref, "9203", 2026, 1), -1);
	CHECK_INT(case_ref_format(ref, "92032", 2026, 0), -1);
	CHECK_INT(case_ref_format(ref, "92032", 2026, 1000000), -1);
	CHECK(case_ref_valid("FS-2A004-2026-000001"));
	CHECK(!case_ref_valid("FS-92032-2026-00012"));
	CHECK(!case_ref_valid("FS-92032-2026-00012x"));
	CHECK(!case_ref_valid("XX-92032-2026-000123"));
	CHECK(!case_ref_valid("FS-92032-2026-000123 "));
	CHECK_STR(case_state_name(CASE_WAITING_USER), "waiting_user");
	/* show's thread labels: French, never the stored English kind */
	CHECK_STR(case_message_label("case", "out"), "dossier envoyé");
	CHECK_STR(case_message_label("reply", "in"), "réponse reçue");
	CHECK_STR(case_message_label("bounce", "in"), "avis de non-distribution reçu");
	CHECK_STR(case_message_label("auto-reply", "in"), "réponse automatique reçue");
	CHECK_STR(case_message_label("follow-up", "out"), "complément envoyé");
	CHECK_STR(case_message_label("zzz", "in"), "message reçu");
	CHECK_STR(case_message_label(NULL, "out"), "message envoyé");
	CHECK_INT(case_state_parse("shredded", &s), 0);
	CHECK_INT(s, CASE_SHREDDED);
	CHECK_INT(case_state_parse("deleted", &s), -1);
}

static void
test_fields(void)
{
	const char *why = NULL;
	char big[202];

	CHECK_INT(case_field_check("Zoé N'Diaye-Durand", 200, 1, &why), 0);
	CHECK_INT(case_field_check("a\nb", 200, 1, &why), -1);
	CHECK_STR(why, "retour à la ligne interdit");
	CHECK_INT(case_field_check("a\rb", 200, 1, &why), -1);
	CHECK_INT(case_field_check("a\tb", 200, 1, &why), -1);
	CHECK_STR(why, "caractère de contrôle interdit");
	CHECK_INT(case_field_check("a\x7f", 200, 1, &why), -1);
	CHECK_INT(case_field_check("\xc3\x28", 200, 1, &why), -1);
	CHECK_STR(why, "texte non UTF-8");
	CHECK_INT(case_field_check("\xed\xa0\x80", 200, 1, &why), -1);	/* surrogate */
	CHECK_INT(case_field_check("\xc0\xaf", 200, 1, &why), -1);	/* overlong */
	CHECK_INT(case_field_check("", 200, 1, &why), -1);
	CHECK_INT(case_field_check("", 200, 0, &why), 0);
	memset(big, 'x', 201);
	big[201] = '\0';
	CHECK_INT(case_field_check(big, 200, 1, &why), -1);
	big[200] = '\0';
	CHECK_INT(case_field_check(big, 200, 1, &why), 0);
	CHECK_INT(case_text_check("ligne 1\nligne 2\r\n\ttab", 21, 100, &why), 0);
	CHECK_INT(case_text_check("a\rb", 3, 100, &why), -1);
	CHECK_INT(case_text_check("a\0b", 3, 100, &why), -1);
	/* issue 14: a blank description is refused */
	CHECK_INT(case_description_check("", 0, 100, &why), -1);
	CHECK_STR(why, "vide");
	CHECK_INT(case_description_check(" \t\n\r\n", 5, 100, &why), -1);
	CHECK_INT(case_description_check("\xc2\xa0\xe2\x80\xaf\n", 6, 100, &why), -1);
	CHECK_INT(case_description_check("\n a\n", 4, 100, &why), 0);
	CHECK_INT(case_description_check("\xc2\xa0\xc3\xa9", 4, 100, &why), 0);
	CHECK_INT(case_description_check("a\rb", 3, 100, &why), -1);
	CHECK_INT(case_text_check("abc", 3, 2, &why), -1);
}

static void
test_mandate(void)
{
	{	/* the last valid day, as case_mandate_check judges it */
		static const int t[][3] = { { 2025, 11, 27 }, { 2026, 3, 1 }, { 2024, 2, 29 },
			{ 2027, 3, 1 }, { 2026, 1, 1 }, { 2025, 12, 31 } };
		static const char *const want[] = { "2026-11-26", "2027-02-28", "2025-02-28",
			"2028-02-29", "2026-12-31", "2026-12-30" };
		char until[11];
		int y, m, d;
		size_t i;

		for (i = 0; i < FS_ARRAY_LEN(t); i++) {
			case_mandate_until(t[i][0], t[i][1], t[i][2], until);
			CHECK_STR(until, want[i]);
			CHECK(sscanf(until, "%d-%d-%d", &y, &m, &d) == 3);
			CHECK_INT(case_mandate_check(t[i][0], t[i][1], t[i][2], y, m, d), 0);
		}
	}
	/* the day after valid_until is no longer valid */
	CHECK_INT(case_mandate_check(2025, 11, 27, 2026, 11, 27), -2);
	CHECK_INT(case_mandate_check(2026, 3, 1, 2027, 3, 1), -2);
	CHECK_INT(case_mandate_check(2024, 2, 29, 2025, 3, 1), -2);
	CHECK_INT(case_mandate_check(2026, 1, 1, 2027, 1, 1), -2);
	CHECK_INT(case_mandate_check(2026, 3, 1, 2026, 3, 1), 0);
	CHECK_INT(case_mandate_check(2026, 3, 1, 2026, 2, 28), -1);
	CHECK_INT(case_mandate_check(2025, 3, 1, 2026, 2, 28), 0);
	CHECK_INT(case_mandate_check(2025, 3, 1, 2026, 3, 1), -2);
	CHECK_INT(case_mandate_check(2024, 2, 29, 2025, 2, 28), 0);
	CHECK_INT(case_mandate_check(2024, 2, 29, 2025, 3, 1), -2);
}

static void
test_person(void)
{
	struct person p, q;
	struct buf b;

	memset(&p, 0, sizeof(p));
	fs_strlcpy(p.nom, "N'Diaye=Durand", sizeof(p.nom));
	fs_strlcpy(p.prenom, "Zoé", sizeof(p.prenom));
	fs_strlcpy(p.ne_le, "1980-02-03", sizeof(p.ne_le));
	fs_strlcpy(p.mandat_signe_le, "2026-01-02", sizeof(p.mandat_signe_le));
	buf_init(&b, 4096);
	CHECK_INT(person_encode(&b, &p), 0);
	CHECK_INT(person_decode(&q, b.p, b.len), 0);
	CHECK_STR(q.nom, "N'Diaye=Durand");
	CHECK_STR(q.prenom, "Zoé");
	CHECK_STR(q.ne_le, "1980-02-03");
	CHECK_STR(q.id_partenaire, "");
	CHECK_INT(person_decode(&q, "inconnu=1\n", 10), -1);
	CHECK_INT(person_decode(&q, "nom=sans fin", 12), -1);
	buf_free(&b);
}

static void
test_tokens(void)
{
	uint8_t key[32], other[32];
	char t1[TOKEN_REPLY_LEN + 1], t2[TOKEN_REPLY_LEN + 1], id[TOKEN_MSGID_MAX];
	char ref[32];
	int64_t d = 0;

	memset(key, 7, sizeof(key));
	memset(other, 8, sizeof(other));
	token_reply(t1, key, "FS-92032-2026-000001");
	token_reply(t2, key, "FS-92032-2026-000002");
	CHECK_INT(strlen(t1), TOKEN_REPLY_LEN);
	CHECK(strcmp(t1, t2) != 0);
	token_reply(t2, other, "FS-92032-2026-000001");
	CHECK(strcmp(t1, t2) != 0);
	CHECK_INT(token_message_id(id, sizeof(id), key, "FS-92032-2026-000001", 42,
	    "relay.fsrelay.test"), 0);
	CHECK(strncmp(id, "FS-92032-2026-000001.42.", 24) == 0);
	CHECK_INT(token_message_id_check(id, key, ref, sizeof(ref), &d), 0);
	CHECK_STR(ref, "FS-92032-2026-000001");
	CHECK_INT(d, 42);
	CHECK_INT(token_message_id_check(id, other, ref, sizeof(ref), &d), -1);
	id[30] = id[30] == 'a' ? 'b' : 'a';
	CHECK_INT(token_message_id_check(id, key, ref, sizeof(ref), &d), -1);
	CHECK_INT(token_message_id_check("FS-92032-2026-000001.42.0000@x", key, ref,
	    sizeof(ref), &d), -1);
	CHECK_INT(token_message_id_check("garbage", key, ref, sizeof(ref), &d), -1);
}

static int
nir_in(const char *text)
{
	return case_find_nir(text, strlen(text));
}

static void
test_nir(void)
{
	static const char *const found[] = {
		"185057800608491",
		"1 85 05 78 006 084 91",
		"1.85.05.78.006.084.91",
		"1-85-05-78-006-084-91",
		"NIR : 2 69 02 99 341 732 85.",
		"(193027511500434)",
		"Corse : 1 85 02 2A 123 456 82 ok",
		"Corse : 1 85 02 2b 123 456 12",
		"ligne 1\n282041901234563\n",
		"1\xc2\xa0" "85\xc2\xa0" "05\xc2\xa0" "78\xc2\xa0" "006\xc2\xa0" "084\xc2\xa0" "91",
		"1\xe2\x80\xaf" "85\xe2\x80\xaf" "05\xe2\x80\xaf" "78\xe2\x80\xaf" "006\xe2\x80\xaf"
		    "084\xe2\x80\xaf" "91",			/* no-break and narrow no-break spaces */
		"1\t85\t05\t78\t006\t084\t91",
		"785057800608482",				/* sex 7 (provisional) */
	};
	static const char *const not_found[] = {
		"185057800608492",			/* wrong key */
		"1 85 05 78 006 084 9",			/* too short */
		"91850578006084915",			/* inside a longer number */
		"1850578006084910",			/* followed by a digit */
		"A185057800608491",			/* after a letter */
		"1  85 05 78 006 084 91",		/* two separators */
		"585057800608491",			/* sex 5: not a NIR */
		"185157800608491",			/* month 15 */
		"1 85 02 2C 123 456 82",		/* not a Corsican département */
		"1 85 02 3A 123 456 82",
		"numéro allocataire 1234567, fiscal 0123456789012",
		"",
		"1 8 5 0 5 7 8 0 0 6 0 8 4 9 1",		/* not its groups */
		"18 50 57 80 06 08 49 1",
		"185050000608463",				/* département 00 */
		"185007800608411",				/* month 00 (valid key) */
		"1 85 05 78 006 084 91x",			/* glued to a word */
		"1 85 05 78 006 084 ",				/* trailing separator */
	};
	size_t i;

	for (i = 0; i < sizeof(found) / sizeof(found[0]); i++) {
		int r = nir_in(found[i]);

		if (r != 1)
			fprintf(stderr, "    not found: %s\n", found[i]);
		CHECK_INT(r, 1);
	}
	for (i = 0; i < sizeof(not_found) / sizeof(not_found[0]); i++) {
		int r = nir_in(not_found[i]);

		if (r != 0)
			fprintf(stderr, "    found: %s\n", not_found[i]);
		CHECK_INT(r, 0);
	}
	/* the length bounds the search */
	CHECK_INT(case_find_nir("185057800608491", 14), 0);
	CHECK_INT(case_partner_takes_nir("cpam"), 1);
	CHECK_INT(case_partner_takes_nir("cnav"), 1);
	CHECK_INT(case_partner_takes_nir("msa"), 1);
	CHECK_INT(case_partner_takes_nir("caf"), 0);
	CHECK_INT(case_partner_takes_nir("dgfip"), 0);
	CHECK_INT(case_partner_takes_nir(NULL), 0);
}

int
main(void)
{
	if (sodium_init() < 0)
		return 1;
	test_refs();
	test_fields();
	test_mandate();
	test_person();
	test_tokens();
	test_nir();
	return t_done();
}
