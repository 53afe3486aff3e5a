/*
 * test_blindindex - canonical names (accents, case, composed/decomposed,
 * hyphens, spaces, apostrophes, ß, œ, full-width), the index's known
 * answer (computed independently with Python's hmac), sensitivity to
 * birth date, key and field boundaries, and refusals.
 */
#include <stdint.h>
#include <string.h>

#include <sodium.h>

#include "relay/blindindex.h"
#include "relay/util.h"
#include "tests/unit/t.h"

static uint8_t key[BLINDINDEX_KEY_BYTES];

/* Canonical form of name, or "(refused)". */
static const char *
canon(const char *name)
{
	static char out[1024];
	struct buf b;

	buf_init(&b, sizeof(out) - 1);
	if (blindindex_canon(&b, name) == -1)
		fs_strlcpy(out, "(refused)", sizeof(out));
	else
		fs_strlcpy(out, b.p ? b.p : "", sizeof(out));
	buf_free(&b);
	return out;
}

/* Hex index of (nom, prenom, birth), or "(refused)". */
static const char *
idx(const char *nom, const char *prenom, const char *birth)
{
	static char hex[2][BLINDINDEX_HEX_LEN + 1];
	static int i;
	uint8_t out[BLINDINDEX_BYTES];

	i ^= 1;
	if (blindindex_compute(out, key, nom, prenom, birth) == -1)
		fs_strlcpy(hex[i], "(refused)", sizeof(hex[i]));
	else
		blindindex_hex(hex[i], out);
	return hex[i];
}

#define SAME(a, b) CHECK_STR(a, b)
#define DIFF(a, b) CHECK(strcmp(a, b) != 0)

static void
test_canon(void)
{
	CHECK_STR(canon("Élodie"), "elodie");
	CHECK_STR(canon("ELODIE"), "elodie");
	CHECK_STR(canon("elodie"), "elodie");
	CHECK_STR(canon("E\xcc\x81lodie"), "elodie");	/* E + U+0301 */
	CHECK_STR(canon("\xc3\x89LODIE"), "elodie");	/* É precomposed */
	CHECK_STR(canon("Jean-Pierre"), "jeanpierre");
	CHECK_STR(canon("jean pierre"), "jeanpierre");
	CHECK_STR(canon("JEANPIERRE"), "jeanpierre");
	CHECK_STR(canon("N'Diaye"), "ndiaye");
	CHECK_STR(canon("N\xe2\x80\x99" "Diaye"), "ndiaye");	/* ’ */
	CHECK_STR(canon("NDIAYE"), "ndiaye");
	CHECK_STR(canon("Straße"), "strasse");
	CHECK_STR(canon("STRASSE"), "strasse");
	CHECK_STR(canon("Œuvrard"), "oeuvrard");
	CHECK_STR(canon("Lætitia"), "laetitia");
	CHECK_STR(canon("Ñúñez Çağlar"), "nunezcaglar");
	CHECK_STR(canon("Saint\xc2\xa0" "Éloi"), "sainteloi");	/* NBSP */
	CHECK_STR(canon("\xef\xbc\xa5\xef\xbc\xac\xef\xbc\xaf"), "elo"); /* ＥＬＯ */
	CHECK_STR(canon("St. Pierre-Marie  d'Arc\t"), "stpierremariedarc");
	CHECK_STR(canon("Louis XIV 2"), "louisxiv2");
	CHECK_STR(canon("Ğülşen"), "gulsen");
	CHECK_STR(canon("Ἀθηνᾶ"), "αθηνα");		/* Greek: accents go */
	CHECK_STR(canon("-' \xe2\x80\x99"), "");
	CHECK_STR(canon(""), "");
	/* Invalid UTF-8: truncated, overlong, surrogate, stray continuation. */
	CHECK_STR(canon("\xc3"), "(refused)");
	CHECK_STR(canon("a\xc0\xaf"), "(refused)");
	CHECK_STR(canon("\xed\xa0\x80"), "(refused)");
	CHECK_STR(canon("\x80lodie"), "(refused)");
	CHECK_STR(canon("\xf5\x80\x80\x80"), "(refused)");
	CHECK_STR(canon(NULL), "(refused)");
}

static void
test_index(void)
{
	uint8_t out[BLINDINDEX_BYTES], key2[BLINDINDEX_KEY_BYTES];
	char big[BLINDINDEX_FIELD_MAX + 2];
	char hex[BLINDINDEX_HEX_LEN + 1];
	size_t i;

	/* Known answers: Python hmac.new(bytes(range(32)),
	 * b"fsrelay-bi-v1\x1fndiaye\x1felodie\x1f1985-02-14", sha256). */
	CHECK_STR(idx("N'Diaye", "Élodie", "1985-02-14"),
	    "961f6f5f358a56e26a0233ef231de6a783380dbbf794598487e6b99bdd5a2cbe");
	CHECK_STR(idx("NDIAYE", "", ""),
	    "c78d43ddbbfca04380d8100c7684bd11da7c936b9b41b23cdcb089f9b4c05593");

	SAME(idx("N'Diaye", "Élodie", "1985-02-14"),
	    idx("NDIAYE", "ELODIE", "1985-02-14"));
	SAME(idx("n\xe2\x80\x99" "diaye", "E\xcc\x81lodie", "1985-02-14"),
	    idx("ndiaye", "elodie", "1985-02-14"));
	SAME(idx("Martin", "Jean-Pierre", ""), idx("MARTIN", "jean pierre", ""));
	SAME(idx("Martin", "JEANPIERRE", ""), idx("martin", "Jean-Pierre", ""));

	/* Birth date, name, first name, key and field boundaries matter. */
	DIFF(idx("Martin", "Jean", "1985-02-14"), idx("Martin", "Jean", "1985-02-15"));
	DIFF(idx("Martin", "Jean", "1985-02-14"), idx("Martin", "Jean", ""));
	DIFF(idx("Martin", "Jean", ""), idx("Martin", "Jeanne", ""));
	DIFF(idx("Martin", "Jean", ""), idx("Martins", "Jean", ""));
	DIFF(idx("Jean", "Martin", ""), idx("Martin", "Jean", ""));
	DIFF(idx("ab", "c", ""), idx("a", "bc", ""));
	DIFF(idx("Martin", "", ""), idx("Martin", "", "1985-02-14"));
	CHECK_INT(blindindex_compute(out, key, "Martin", "Jean", ""), 0);
	blindindex_hex(hex, out);
	memcpy(key2, key, sizeof(key2));
	key2[0] ^= 1;
	CHECK_INT(blindindex_compute(out, key2, "Martin", "Jean", ""), 0);
	CHECK(strcmp(idx("Martin", "Jean", ""), hex) == 0);
	{
		char hex2[BLINDINDEX_HEX_LEN + 1];

		blindindex_hex(hex2, out);
		DIFF(hex, hex2);
		CHECK_INT(strlen(hex2), BLINDINDEX_HEX_LEN);
	}

	/* Refusals, and out is zeroed on refusal. */
	CHECK_STR(idx("Mart\xc3", "Jean", ""), "(refused)");
	CHECK_STR(idx("Martin", "\xff", ""), "(refused)");
	CHECK_STR(idx("", "Jean", ""), "(refused)");
	CHECK_STR(idx("- '", "Jean", ""), "(refused)");
	CHECK_STR(idx("Martin", "Jean", "1985-2-14"), "(refused)");
	CHECK_STR(idx("Martin", "Jean", "1985-13-01"), "(refused)");
	CHECK_STR(idx("Martin", "Jean", "1985-00-10"), "(refused)");
	CHECK_STR(idx("Martin", "Jean", "1985-01-32"), "(refused)");
	CHECK_STR(idx("Martin", "Jean", "14/02/1985"), "(refused)");
	CHECK_STR(idx("Martin", "Jean", "1985-02-14 "), "(refused)");
	CHECK_STR(idx(NULL, "Jean", ""), "(refused)");
	CHECK_STR(idx("Martin", NULL, ""), "(refused)");
	CHECK_STR(idx("Martin", "Jean", NULL), "(refused)");
	memset(out, 0xaa, sizeof(out));
	CHECK_INT(blindindex_compute(out, key, "\xc3", "", ""), -1);
	for (i = 0; i < sizeof(out) && out[i] == 0; i++)
		;
	CHECK_INT(i, sizeof(out));

	/* Field size cap: BLINDINDEX_FIELD_MAX bytes ok, one more refused. */
	memset(big, 'a', sizeof(big));
	big[BLINDINDEX_FIELD_MAX] = '\0';
	CHECK(strcmp(idx(big, "Jean", ""), "(refused)") != 0);
	CHECK(strcmp(idx("Martin", big, ""), "(refused)") != 0);
	big[BLINDINDEX_FIELD_MAX] = 'a';
	big[BLINDINDEX_FIELD_MAX + 1] = '\0';
	CHECK_STR(idx(big, "Jean", ""), "(refused)");
	CHECK_STR(idx("Martin", big, ""), "(refused)");
}

/* The worst NFKD expansion (U+FDFA, 3 bytes -> 18 letters) at the field
 * cap still fits the internal bound. */
static void
test_expansion(void)
{
	char big[BLINDINDEX_FIELD_MAX + 1];
	size_t i;

	for (i = 0; i + 3 <= BLINDINDEX_FIELD_MAX; i += 3)
		memcpy(big + i, "\xef\xb7\xba", 3);
	big[i] = '\0';
	CHECK(strcmp(idx(big, "", ""), "(refused)") != 0);
}

int
main(void)
{
	size_t i;

	if (sodium_init() < 0)
		return 2;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)i;
	test_canon();
	test_index();
	test_expansion();
	return t_done();
}
