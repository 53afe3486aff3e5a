/*
 * imap - the relay's mailbox (IMAP): its interface is the core's port
 * relay/port/mailbox.h, implemented by adapters/imap.c.  For the adapters and
 * the tests; a relay/ file includes the port (make lint).
 */
#ifndef FSRELAY_IMAP_H
#define FSRELAY_IMAP_H

#include "relay/port/mailbox.h"

#endif
