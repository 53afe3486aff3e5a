/*
 * fuzz_mime - libFuzzer target: mime_parse on arbitrary bytes, then
 * match_decide with a small fake context, quote_fold on the text and a
 * mime_serialize / mime_deserialize round trip; the same bytes are also
 * given to mime_deserialize (what the daemon reads from the parsing child).
 */
#include "adapters/mime.h"
#include "relay/match.h"
#include "relay/quote.h"
#include "relay/token.h"
#include "relay/util.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char *const rcpt[] = { "sophie.martin@caf92.exemple.fr" };
static uint8_t key[32];
static char token_a[TOKEN_REPLY_LEN + 1];

static int
cb_ref(void *arg, const char *ref, struct match_case *out)
{
	(void)arg;
	if (strcmp(ref, "FS-92032-2026-000101") != 0 &&
	    strcmp(ref, "FS-75056-2026-000007") != 0)
		return 1;
	fs_strlcpy(out->ref, ref, sizeof(out->ref));
	out->state = ref[3] == '7' ? CASE_RESOLVED : CASE_AWAITING;
	fs_strlcpy(out->partner, "caf", sizeof(out->partner));
	out->recipients = rcpt;
	out->n_recipients = 1;
	return 0;
}

static int
cb_token(void *arg, const char *tok, struct match_case *out)
{
	if (strcmp(tok, token_a) != 0)
		return 1;
	return cb_ref(arg, "FS-92032-2026-000101", out);
}

static int
cb_delivery(void *arg, const char *ref, int64_t id, char *addr, size_t len)
{
	(void)arg;
	(void)ref;
	if (id != 1)
		return 1;
	fs_strlcpy(addr, rcpt[0], len);
	return 0;
}

static int
cb_directory(void *arg, const char *addr)
{
	(void)arg;
	return strcmp(addr, rcpt[0]) == 0 ||
	    strcmp(addr, "helene.roux@caf92.exemple.fr") == 0;
}

static int
cb_domain(void *arg, const char *partner, const char *dom)
{
	(void)arg;
	return strcmp(partner, "caf") == 0 &&
	    strcmp(dom, "caf92.exemple.fr") == 0;
}

static void
run(const struct parsed_mail *m, const struct match_ctx *ctx)
{
	struct match_decision d;
	struct buf b;

	if (match_decide(m, ctx, &d) != 0 || mail_class_name(d.cls) == NULL ||
	    quarantine_reason_name(d.reason) == NULL)
		abort();
	if (m == NULL)
		return;
	buf_init(&b, 2 * MIME_TEXT_MAX);
	(void)quote_fold(m->text, &b, NULL);
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	struct match_ctx ctx = {
		.relay_address = "relais@relay.fsrelay.test",
		.authserv_id = "mx.relay.fsrelay.test",
		.hmac_key = key,
		.case_by_ref = cb_ref,
		.case_by_token = cb_token,
		.delivery_recipient = cb_delivery,
		.is_directory_address = cb_directory,
		.partner_has_domain = cb_domain,
	};
	struct parsed_mail m, m2;
	struct buf ser;
	char err[128];

	if (!init) {
		if (sodium_init() < 0)
			abort();
		memset(key, 0x42, sizeof(key));
		token_reply(token_a, key, "FS-92032-2026-000101");
		init = 1;
	}
	if (mime_parse((const char *)data, size, &m, err, sizeof(err)) == 0) {
		run(&m, &ctx);
		buf_init(&ser, 3 * (size_t)MIME_MSG_MAX);
		if (mime_serialize(&m, &ser) != 0 ||
		    mime_deserialize((const uint8_t *)ser.p, ser.len, &m2) != 0)
			abort();	/* the round trip must hold */
		run(&m2, &ctx);
		mime_free(&m2);
		buf_free(&ser);
		mime_free(&m);
	} else
		run(NULL, &ctx);
	if (mime_deserialize(data, size, &m2) == 0) {
		run(&m2, &ctx);
		mime_free(&m2);
	}
	return 0;
}
