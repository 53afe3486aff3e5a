/*
 * fuzz_envelope - libFuzzer target for the .eml reader of the case
 * envelope: arbitrary bytes go to envelope_parse_eml (no decryption, no
 * signature).  The seed corpus holds .eml files written by envelope_seal
 * and decrypted.  Any crash or sanitizer report is a bug; a success must
 * give parts that agree with the limits, a failure a reason and an empty
 * result.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "relay/envelope.h"
#include "relay/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	struct envelope_opened o;
	char err[256];
	size_t i;

	if (!ready) {
		if (sodium_init() < 0)
			abort();
		ready = 1;
	}
	err[0] = '\0';
	if (envelope_parse_eml(&o, (const char *)data, size, err, sizeof(err)) == 0) {
		if (o.n_docs > ENVELOPE_MAX_DOCS || o.eml.len != size ||
		    o.manifest_sig.len != ENVELOPE_SIG_B64_LEN || o.ref[0] == '\0' ||
		    strcmp(o.description.name, ENVELOPE_DESCRIPTION_NAME) != 0)
			abort();
		for (i = 0; i < o.n_docs; i++)
			if (o.docs[i].name == NULL || o.docs[i].name[0] == '\0' ||
			    strlen(o.docs[i].name) > ENVELOPE_NAME_MAX)
				abort();
	} else if (err[0] == '\0' || o.n_docs != 0 || o.eml.len != 0 || o.docs != NULL)
		abort();
	envelope_opened_free(&o);
	return 0;
}
