/*
 * test_json_body - the API's JSON body (adapters/http/json_body.c): which
 * bodies become which fields, and every body that must be refused whole.
 */
#include "adapters/http/http_int.h"
#include "tests/unit/t.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct req *
parse(const char *body, int *rc)
{
	struct req *q = calloc(1, sizeof(*q));

	if (q == NULL)
		abort();
	q->body_max = WEB_JSON_MAX;
	buf_init(&q->raw, WEB_JSON_MAX);
	buf_append(&q->raw, body, strlen(body));
	*rc = req_json_fields(q);
	return q;
}

static void
drop(struct req *q)
{
	size_t i;

	for (i = 0; i < q->n_fields; i++)
		buf_free(&q->fields[i].value);
	buf_free(&q->raw);
	free(q);
}

/* body must be refused */
static void
refused(const char *body)
{
	int rc;
	struct req *q = parse(body, &rc);

	if (!CHECK(rc == -1))
		fprintf(stderr, "    accepted: %s\n", body);
	drop(q);
}

int
main(void)
{
	struct req *q;
	char big[WEB_FIELDS_MAX * 12 + 16], *p;
	int rc, i;

	q = parse(" {\"nom\" : \"Dupont\", \"prenom\":\"Zo\\u00e9\", \"texte\":\"a\\nb\\t\\\"c\\\"\\\\\\/\","
	    " \"emoji\":\"\\ud83d\\ude42\", \"confirme\":true, \"n\":-12.5e3, \"vide\":\"\","
	    " \"absent\":null, \"non\":false} ", &rc);
	CHECK_INT(rc, 0);
	CHECK_STR(req_field(q, "nom"), "Dupont");
	CHECK_STR(req_field(q, "prenom"), "Zoé");
	CHECK_STR(req_field(q, "texte"), "a\nb\t\"c\"\\/");
	CHECK_STR(req_field(q, "emoji"), "🙂");
	CHECK_STR(req_field(q, "confirme"), "1");
	CHECK_STR(req_field(q, "n"), "-12.5e3");
	CHECK_STR(req_field(q, "vide"), "");
	CHECK(req_field(q, "absent") == NULL && req_field(q, "non") == NULL);
	CHECK_INT(q->n_fields, 7);
	CHECK_INT(q->fields[2].value.len, 9);	/* no stray NUL counted */
	drop(q);
	q = parse("{}", &rc);
	CHECK_INT(rc, 0);
	CHECK_INT(q->n_fields, 0);
	drop(q);

	refused("");
	refused("[]");
	refused("\"nom\"");
	refused("{\"nom\":\"a\"");			/* not closed */
	refused("{\"nom\":\"a\",}");			/* trailing comma */
	refused("{\"nom\":\"a\"} x");			/* trailing bytes */
	refused("{\"nom\":\"a\"}{}");
	refused("{\"nom\":{\"a\":\"b\"}}");		/* nested */
	refused("{\"nom\":[\"a\"]}");			/* array */
	refused("{\"nom\":\"a\",\"nom\":\"b\"}");	/* duplicate */
	refused("{\"\":\"a\"}");			/* empty name */
	refused("{nom:\"a\"}");
	refused("{\"nom\":'a'}");
	refused("{\"nom\":\"a\x01\"}");		/* raw control character */
	refused("{\"nom\":\"a\nb\"}");
	refused("{\"nom\":\"\\u0000\"}");		/* NUL */
	refused("{\"nom\":\"\\ud83d\"}");		/* lone high surrogate */
	refused("{\"nom\":\"\\ude42\"}");		/* lone low surrogate */
	refused("{\"nom\":\"\\ud83d\\u0041\"}");
	refused("{\"nom\":\"\\x41\"}");			/* unknown escape */
	refused("{\"nom\":\"\\u12\"}");
	refused("{\"nom\":tru}");
	refused("{\"nom\":-}");
	refused("{\"nom\":\"a\"");
	refused("{\"n\\u0000m\":\"a\"}");
	/* a name of 64 bytes does not fit a field name */
	refused("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":\"a\"}");
	q = parse("{\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\":\"a\"}", &rc);
	CHECK_INT(rc, 0);	/* 63: the longest name */
	drop(q);
	/* more members than fields */
	p = big;
	*p++ = '{';
	for (i = 0; i <= WEB_FIELDS_MAX; i++)
		p += sprintf(p, "%s\"f%d\":\"v\"", i ? "," : "", i);
	strcpy(p, "}");
	refused(big);
	return t_done();
}
