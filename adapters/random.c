/*
 * random - port/random.h on libsodium's randombytes_buf (getrandom(2)).
 */
#include "relay/port/random.h"

#include <sodium.h>

void
random_bytes(void *buf, size_t len)
{
	randombytes_buf(buf, len);
}
