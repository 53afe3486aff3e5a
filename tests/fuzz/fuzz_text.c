/*
 * fuzz_text - feeds arbitrary bytes to the checks of what agents type
 * (relay/case: one-line fields, multi-line texts, the NIR scanner used by
 * the minimisation rule) and to the UTF-8 clipping of labels (relay/util).
 * Properties checked: the NIR scanner gives the same answer twice (and,
 * under ASan, never reads past len); a valid text cut in the middle of any
 * character and clipped is valid UTF-8 again, never longer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <unistr.h>

#include "relay/case.h"
#include "relay/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1), *t;
	const char *why;
	size_t n;

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	(void)case_text_check(s, size, 64 * 1024, &why);
	(void)case_field_check(s, 200, 1, &why);
	if (case_find_nir(s, size) != case_find_nir(s, size))
		abort();
	(void)case_nir_check("dgfip", s, size, &why);
	/* clipping: a valid text cut anywhere, then clipped, is valid again */
	if (case_text_check(s, size, 64 * 1024, &why) == 0 && (n = strlen(s)) > 0) {
		t = malloc(n + 1);
		if (t != NULL) {
			memcpy(t, s, n / 2);
			t[n / 2] = '\0';
			fs_utf8_clip(t);
			if (strlen(t) > n / 2 || u8_check((const uint8_t *)t, strlen(t)) != NULL)
				abort();
			free(t);
		}
	}
	free(s);
	return 0;
}
