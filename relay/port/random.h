/*
 * port/random - randomness, as the core reads it (a port: declared here by
 * the core, implemented by adapters/random.c with libsodium's generator).
 * Every key, nonce, token and boundary of the core comes from random_bytes;
 * `make lint` refuses randombytes_*() and libsodium's *_keygen /
 * *_keypair (which draw on their own) in relay/.
 */
#ifndef FSRELAY_PORT_RANDOM_H
#define FSRELAY_PORT_RANDOM_H

#include <stddef.h>

/* len bytes from the operating system's cryptographic generator.  Never
 * fails (libsodium aborts the process if the generator cannot be read). */
void	 random_bytes(void *buf, size_t len);

#endif
