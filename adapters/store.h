/*
 * store - the SQLite store, every area at once: for the adapters and the
 * tests only.  The store's interface is declared by the core, by area, in
 * relay/port/store*.h (the ports); adapters/store*.c implement it.  A
 * relay/ file includes the area headers it needs, never this one (make
 * lint).
 */
#ifndef FSRELAY_STORE_H
#define FSRELAY_STORE_H

#include "relay/port/store.h"
#include "relay/port/store_audit.h"
#include "relay/port/store_breach.h"
#include "relay/port/store_cases.h"
#include "relay/port/store_deliveries.h"
#include "relay/port/store_directory.h"
#include "relay/port/store_enrol.h"
#include "relay/port/store_inbox.h"

#endif
