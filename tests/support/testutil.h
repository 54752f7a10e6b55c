/* Small helpers shared by the tests (not part of the library). Include after cmocka's
 * prerequisites: <stdarg.h> <stddef.h> <stdint.h> <setjmp.h> <cmocka.h>. */
#ifndef UMPTCP_TESTUTIL_H
#define UMPTCP_TESTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exit code CTest reads as "skipped". */
#define TU_SKIP 77

/* When cond is false: outside CI the whole test executable is skipped (exit 77) with a
 * message; under CI=true it fails (exit 1), because CI must run every tier. */
void tu_require(bool cond, const char *what);
/* True when an executable of that name is on PATH. */
bool tu_have_command(const char *name);
/* True when running as root (needed for netns/TUN tests). */
bool tu_is_root(void);
/* Runs a shell command, captures up to outlen-1 bytes of its standard output (NUL-terminated).
 * Returns the exit status (0..255) or -1 when it could not run. */
int tu_run(const char *cmd, char *out, size_t outlen);
/* A fresh private directory under $TMPDIR or /tmp; the path stays valid until exit. */
const char *tu_tmpdir(void);
/* Lowercase hex SHA-256 of the buffer into hex[65]. */
void tu_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
