/*
 * smtp - the mail transport (SMTP submission): its interface is the core's port
 * relay/port/transport.h, implemented by adapters/smtp.c.  For the adapters and
 * the tests; a relay/ file includes the port (make lint).
 */
#ifndef FSRELAY_SMTP_H
#define FSRELAY_SMTP_H

#include "relay/port/transport.h"

#endif
