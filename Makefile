# fsrelay - GNU make + pkg-config, C17, hardened PIE.
# Targets: all (./fsrelay), test, check (ASan+UBSan), memcheck (valgrind),
#          fuzz, demo, lint, install, uninstall, clean.  See README.md.

B       ?= build
CC      ?= cc
PKGS     = libcurl libetpan libsodium sqlite3 inih gnutls libmicrohttpd libseccomp
WARN     = -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wpointer-arith -Wcast-qual -Wformat=2 -Wvla -Wimplicit-fallthrough \
           -Wundef -Wnull-dereference
HARDEN   = -D_FORTIFY_SOURCE=2 -fstack-protector-strong \
           -fstack-clash-protection -fcf-protection -fPIE
CFLAGS  ?= -O2 -g
XCFLAGS  = -std=c17 -D_GNU_SOURCE -I. $(WARN) $(HARDEN) -MMD -MP \
           $(shell pkg-config --cflags $(PKGS)) $(CFLAGS) $(SANFLAGS)
XLDFLAGS = -pie -Wl,-z,relro,-z,now $(LDFLAGS) $(SANFLAGS)
# Debian 12's libetpan.pc injects -specs=/usr/share/dpkg/no-pie-link.specs,
# which would silently link a non-PIE binary: drop it.
LIBS     = $(filter-out -specs=%,$(shell pkg-config --libs $(PKGS))) -lunistring -lm
# The binary links only what every command needs; libcurl, libetpan and
# libmicrohttpd are loaded when first used (adapters/libs.c, by the
# sonames of the development files; GnuTLS comes with them).  The test
# programs link everything (some call libcurl themselves).
BINPKGS  = libsodium sqlite3 inih libseccomp
BINLIBS  = $(shell pkg-config --libs $(BINPKGS)) -lunistring -lm $(SANLIBS)
# Under the sanitizers (make check) the three are linked at start as
# well, so that adapters/libs.c's dlopen finds them loaded: LeakSanitizer
# (LLVM 14 / GCC 12) crashes at exit reading the thread-local storage of
# a library loaded by dlopen ("Tracer caught signal 11", DTLS at a bogus
# address), which hides every leak report of the process.
SANLIBS_ALL = -Wl,--no-as-needed $(shell pkg-config --libs libcurl libetpan \
             libmicrohttpd | sed 's/-specs=[^ ]*//g') -Wl,--as-needed
soname   = $(shell objdump -p $$($(CC) -print-file-name=lib$(1).so) 2>/dev/null | \
             awk '/SONAME/ { print $$2 }')
$(B)/adapters/libs.o: XCFLAGS += -DFS_SONAME_CURL='"$(call soname,curl)"' \
             -DFS_SONAME_ETPAN='"$(call soname,etpan)"' \
             -DFS_SONAME_MHD='"$(call soname,microhttpd)"'

# The core (relay/), the driven adapters (adapters/*.c), the driving ones
# (adapters/cli/, adapters/http/: every .c there is built), the key files.
SRC      = $(sort $(wildcard relay/*.c adapters/*.c adapters/cli/*.c \
             adapters/http/*.c keys/*.c))
LIBSRC   = $(filter-out adapters/cli/main.c,$(SRC))
OBJ      = $(SRC:%.c=$(B)/%.o)
LIBOBJ   = $(LIBSRC:%.c=$(B)/%.o)
TESTSRC  = $(sort $(wildcard tests/unit/test_*.c))
TESTBIN  = $(TESTSRC:tests/unit/%.c=$(B)/tests/%)
FUZZSRC  = $(sort $(wildcard tests/fuzz/fuzz_*.c))
REPLAYBIN= $(FUZZSRC:tests/fuzz/%.c=$(B)/tests/replay_%)

.PHONY: all test check memcheck fuzz demo lint clean deps unit fsrelay install uninstall opener

all: fsrelay

# The binary at the top: copied on every `make` (so never a stale copy);
# the test flavours (check, memcheck) leave it alone.
fsrelay: $(B)/fsrelay
	cp $(B)/fsrelay fsrelay

$(B)/fsrelay: $(OBJ)
	$(CC) $(XLDFLAGS) -o $@ $(OBJ) $(BINLIBS)

$(B)/libfsrelay.a: $(LIBOBJ)
	rm -f $@; ar rcs $@ $(LIBOBJ)

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -c -o $@ $<

# The opener page is linked in by .incbin (relay/opener.c).  It is committed
# (opener/dist/, docs/referent.md says why); `make opener` builds it again
# from the pinned npm packages, and tests/integration/opener.sh checks that
# the committed page is exactly what they give.
$(B)/relay/opener.o: opener/dist/fsrelay-opener.html

opener: deps
	node opener/build.mjs

$(B)/tests/%: tests/unit/%.c tests/unit/t.h $(B)/libfsrelay.a
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -o $@ $< $(B)/libfsrelay.a $(XLDFLAGS) $(LIBS)

# Each fuzz target is also linked with a plain driver that replays its
# corpus, so `make test` runs the corpus with gcc alone.
$(B)/tests/replay_%: tests/fuzz/%.c tests/fuzz/replay.c $(B)/libfsrelay.a
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -o $@ $< tests/fuzz/replay.c $(B)/libfsrelay.a $(XLDFLAGS) $(LIBS)

# Programs that need the live mail stack: run by tests/integration/*.sh.
LIVESRC  = $(sort $(wildcard tests/live/*.c))
LIVEBIN  = $(LIVESRC:tests/live/%.c=$(B)/tests/live_%)

$(B)/tests/live_%: tests/live/%.c tests/unit/t.h $(B)/libfsrelay.a
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -o $@ $< $(B)/libfsrelay.a $(XLDFLAGS) $(LIBS)

# The age writer and reader file to file (bench/age, integration/agestream.sh).
$(B)/bench/agefile: bench/agefile.c $(B)/libfsrelay.a
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -o $@ $< $(B)/libfsrelay.a $(XLDFLAGS) $(LIBS)

unit: $(TESTBIN) $(REPLAYBIN) $(LIVEBIN) $(B)/fsrelay $(B)/bench/agefile

deps:
	@sh scripts/deps.sh

# The whole suite: unit tests, corpus replays, then the integration tests
# against a private Postfix + Dovecot started (and stopped) here.
test: deps
	$(MAKE) unit
	B=$(B) tests/run

check:
	$(MAKE) B=build/san CFLAGS="-O1 -g" \
	  SANFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  SANLIBS='$(SANLIBS_ALL)' test

memcheck:
	$(MAKE) B=build/vg unit
	B=build/vg FSRELAY_VALGRIND=1 tests/run --unit-only

FUZZFLAGS = -fsanitize=fuzzer,address,undefined -fno-omit-frame-pointer -g -O1
FUZZ_SECONDS ?= 60
fuzz:
	$(MAKE) B=build/fuzz CC=clang CFLAGS="-O1 -g" SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined" build/fuzz/libfsrelay.a
	@for f in $(FUZZSRC); do n=$$(basename $$f .c); \
	  clang $(XCFLAGS:-MMD=) $(FUZZFLAGS) -o build/fuzz/$$n $$f build/fuzz/libfsrelay.a $(LIBS) || exit 1; \
	  mkdir -p tests/fuzz/corpus/$${n#fuzz_} build/fuzz/new-$${n#fuzz_}; \
	  echo "fuzz: $$n pendant $(FUZZ_SECONDS) s"; \
	  build/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) build/fuzz/new-$${n#fuzz_} tests/fuzz/corpus/$${n#fuzz_} || exit 1; \
	done

# The script is bash (set -o pipefail): run it with bash, not $(SHELL).
# With FSRELAY_BIN set (the tests give their build) nothing is built.
demo: deps
	$(if $(FSRELAY_BIN),,$(MAKE) fsrelay)
	bash scripts/demo.sh $(DEMO_FLAGS)

lint:
	@sh scripts/lint-includes.sh
	@! grep -nE '\b(strcpy|strcat|sprintf|vsprintf|gets|atoi|strtok)\(' $(SRC) || \
	  { echo "lint: fonction interdite"; exit 1; }
	cppcheck --quiet --error-exitcode=1 --std=c11 -I. $(SRC)

# Installation (docs/admin.md § 1).  GNU-style directories, overridable on
# the command line; DESTDIR stages the tree (the Debian package does).
# sysconfdir stays /etc under /usr/local too: the binary's default
# configuration is /etc/fsrelay/fsrelay.conf.  The account and the
# directories /var/lib/fsrelay (0700) and /etc/fsrelay (0750) are created
# at run time by systemd-sysusers and systemd-tmpfiles from the installed
# sysusers.d and tmpfiles.d entries.
PREFIX        ?= /usr/local
bindir        ?= $(PREFIX)/bin
datadir       ?= $(PREFIX)/share
mandir        ?= $(datadir)/man
docdir        ?= $(datadir)/doc/fsrelay
sysconfdir    ?= /etc
localstatedir ?= /var
libdir_systemd?= $(PREFIX)/lib
unitdir       ?= $(libdir_systemd)/systemd/system
sysusersdir   ?= $(libdir_systemd)/sysusers.d
tmpfilesdir   ?= $(libdir_systemd)/tmpfiles.d
INSTALL       ?= install
MANPAGES       = man/fsrelay.8 man/fsrelay.conf.5 man/fsrelay-open.1
UNITS          = fsrelay.service fsrelay-web.service
SHAREFILES     = config/fsrelay.conf.example config/annex6-hauts-de-seine.csv \
                 config/structures-hauts-de-seine.csv config/topics.csv
DOCFILES       = $(sort $(wildcard docs/*.md))
SUBST          = sed -e 's|@BINDIR@|$(bindir)|g' -e 's|@SYSCONFDIR@|$(sysconfdir)|g' \
                   -e 's|@LOCALSTATEDIR@|$(localstatedir)|g'

install: $(B)/fsrelay
	$(INSTALL) -d $(DESTDIR)$(bindir) $(DESTDIR)$(mandir)/man1 $(DESTDIR)$(mandir)/man5 \
	  $(DESTDIR)$(mandir)/man8 $(DESTDIR)$(unitdir) $(DESTDIR)$(sysusersdir) \
	  $(DESTDIR)$(tmpfilesdir) $(DESTDIR)$(datadir)/fsrelay $(DESTDIR)$(docdir)
	$(INSTALL) -m 0755 $(B)/fsrelay $(DESTDIR)$(bindir)/fsrelay
	$(INSTALL) -m 0644 man/fsrelay-open.1 $(DESTDIR)$(mandir)/man1/
	$(INSTALL) -m 0644 man/fsrelay.conf.5 $(DESTDIR)$(mandir)/man5/
	$(INSTALL) -m 0644 man/fsrelay.8 $(DESTDIR)$(mandir)/man8/
	for u in $(UNITS); do $(SUBST) dist/$$u.in > $(DESTDIR)$(unitdir)/$$u && \
	  chmod 0644 $(DESTDIR)$(unitdir)/$$u || exit 1; done
	$(SUBST) dist/fsrelay.sysusers > $(DESTDIR)$(sysusersdir)/fsrelay.conf
	$(SUBST) dist/fsrelay.tmpfiles > $(DESTDIR)$(tmpfilesdir)/fsrelay.conf
	chmod 0644 $(DESTDIR)$(sysusersdir)/fsrelay.conf $(DESTDIR)$(tmpfilesdir)/fsrelay.conf
	$(INSTALL) -m 0644 $(SHAREFILES) $(DESTDIR)$(datadir)/fsrelay/
	$(INSTALL) -m 0644 $(DOCFILES) $(DESTDIR)$(docdir)/

uninstall:
	rm -f $(DESTDIR)$(bindir)/fsrelay $(DESTDIR)$(mandir)/man1/fsrelay-open.1 \
	  $(DESTDIR)$(mandir)/man5/fsrelay.conf.5 $(DESTDIR)$(mandir)/man8/fsrelay.8 \
	  $(UNITS:%=$(DESTDIR)$(unitdir)/%) $(DESTDIR)$(sysusersdir)/fsrelay.conf \
	  $(DESTDIR)$(tmpfilesdir)/fsrelay.conf \
	  $(addprefix $(DESTDIR)$(datadir)/fsrelay/,$(notdir $(SHAREFILES))) \
	  $(addprefix $(DESTDIR)$(docdir)/,$(notdir $(DOCFILES)))
	rmdir $(DESTDIR)$(datadir)/fsrelay $(DESTDIR)$(docdir) 2>/dev/null || true

clean:
	rm -rf build fsrelay

-include $(OBJ:.o=.d) $(TESTBIN:=.d)
