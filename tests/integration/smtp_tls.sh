# smtp_tls.sh - the SMTP adapter against the real Postfix and against
# openssl s_server instances with bad certificates: delivery, an untrusted
# CA, a wrong host name and TLS 1.1 get no SMTP command at all.  The checks
# live in tests/live/smtp_live.c; it prints its own "N passed, N failed".
TOP=$(cd "$(dirname "$0")/../.." && pwd)
# shellcheck disable=SC1091
. "$FSRELAY_TEST_STACK/env"
exec "$TOP/${B:-build}/tests/live_smtp_live"
