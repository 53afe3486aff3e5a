/*
 * opener - see opener.h.  The page is linked in with .incbin; its
 * configuration is a JSON data block (not a script: the page's CSP hashes
 * only its one inline script) into which every value is written with '<',
 * '>' and '&' escaped, so no value can end the block.
 */
#include "relay/opener.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <unistr.h>

#define PLACEHOLDER	"@@FSRELAY_CONFIG@@"

__asm__(".section .rodata\n"
    ".global fsrelay_opener_page\n"
    ".type fsrelay_opener_page, @object\n"
    "fsrelay_opener_page:\n"
    ".incbin \"opener/dist/fsrelay-opener.html\"\n"
    "fsrelay_opener_page_end:\n"
    ".byte 0\n"
    ".balign 8\n"
    ".global fsrelay_opener_page_len\n"
    "fsrelay_opener_page_len:\n"
    ".quad fsrelay_opener_page_end - fsrelay_opener_page\n"
    ".previous\n");

extern const char fsrelay_opener_page[];
extern const uint64_t fsrelay_opener_page_len;

const char *
opener_template(size_t *len)
{
	*len = (size_t)fsrelay_opener_page_len;
	return fsrelay_opener_page;
}

/* "name":"value" with JSON and HTML-safe escapes. */
static int
put_field(struct buf *b, const char *name, const char *v, int first)
{
	char esc[8];
	size_t i, n = strlen(v);
	int r;

	if (u8_check((const uint8_t *)v, n) != NULL)
		return -1;
	r = buf_printf(b, "%s\"%s\":\"", first ? "" : ",", name);
	for (i = 0; i < n && r == 0; i++) {
		unsigned char c = (unsigned char)v[i];

		if (c < 0x20 || c == 0x7f)
			return -1;
		if (c == '"' || c == '\\' || c == '<' || c == '>' || c == '&') {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			r = buf_puts(b, esc);
		} else
			r = buf_append(b, &c, 1);
	}
	return r == 0 ? buf_puts(b, "\"") : -1;
}

static int
b64_key_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n == 44 && s[43] == '=' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/") == 43;
}

static int
recipient_ok(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n == 62 && strncmp(s, "age1", 4) == 0 &&
	    strspn(s + 4, "qpzry9x8gf2tvdw0s3jn54khce6mua7l") == 58;
}

int
opener_page(struct buf *out, const struct opener_conf *c, char *err, size_t errlen)
{
	const char *tpl, *at;
	size_t len, mark = out->len;
	struct buf j;
	int r;

	if (!b64_key_ok(c->signing_key) || !recipient_ok(c->relay_recipient) ||
	    c->reply_address == NULL || c->relay_name == NULL || c->mode == NULL ||
	    (strcmp(c->mode, "open") != 0 && strcmp(c->mode, "enrol") != 0)) {
		fs_seterr(err, errlen, "page d'ouverture : clé du relais, destinataire age, "
		    "adresse ou mode invalide");
		return -1;
	}
	tpl = opener_template(&len);
	if ((at = memmem(tpl, len, PLACEHOLDER, sizeof(PLACEHOLDER) - 1)) == NULL) {
		fs_seterr(err, errlen, "page d'ouverture : modèle sans bloc de configuration");
		return -1;
	}
	buf_init(&j, 8192);
	r = buf_puts(&j, "{");
	r |= put_field(&j, "relay_name", c->relay_name, 1);
	r |= put_field(&j, "signing_key", c->signing_key, 0);
	r |= put_field(&j, "relay_recipient", c->relay_recipient, 0);
	r |= put_field(&j, "reply_address", c->reply_address, 0);
	r |= put_field(&j, "mode", c->mode, 0);
	if (c->invitation != NULL)
		r |= put_field(&j, "invitation", c->invitation, 0);
	r |= buf_puts(&j, "}");
	if (r != 0 || j.p == NULL) {
		buf_free(&j);
		fs_seterr(err, errlen, "page d'ouverture : valeur refusée (caractère de contrôle "
		    "ou UTF-8 invalide)");
		return -1;
	}
	r = buf_append(out, tpl, (size_t)(at - tpl));
	r |= buf_append(out, j.p, j.len);
	r |= buf_append(out, at + sizeof(PLACEHOLDER) - 1,
	    len - (size_t)(at - tpl) - (sizeof(PLACEHOLDER) - 1));
	buf_free(&j);
	if (r != 0) {
		out->len = mark;
		if (out->p != NULL)
			out->p[mark] = '\0';
		fs_seterr(err, errlen, "page d'ouverture : message trop gros");
		return -1;
	}
	return 0;
}
