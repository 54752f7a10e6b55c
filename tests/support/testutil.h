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
/* Decodes hex digit pairs ("4500003c...", either case) into out and returns the byte count. An
 * odd length, a character that is not a hex digit, or more than cap bytes means the test's own
 * data is wrong: the process is aborted with a message. */
size_t tu_hex_decode(const char *hex, uint8_t *out, size_t cap);
/* A heap copy of exactly len bytes (one byte allocated for len 0), to hand to a parser so that
 * ASan reports any read past the end. Aborts when out of memory; the caller frees it. */
void *tu_exact_copy(const void *p, size_t len);

#endif
