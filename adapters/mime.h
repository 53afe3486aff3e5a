/*
 * mime - the parser of an untrusted mail (MIME): its interface is the core's port
 * relay/port/mail.h, implemented by adapters/mime.c.  For the adapters and
 * the tests; a relay/ file includes the port (make lint).
 */
#ifndef FSRELAY_MIME_H
#define FSRELAY_MIME_H

#include "relay/port/mail.h"

#endif
