/* fuzz_config - the configuration parser on arbitrary bytes. */
#include "relay/config.h"
#include "relay/util.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];
	char *text;

	if (size > CONFIG_MAX_BYTES)
		return 0;
	text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	(void)config_parse(&cfg, text, "/etc/fsrelay", err, sizeof(err));
	config_free(&cfg);
	free(text);
	return 0;
}
