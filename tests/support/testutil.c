#include "testutil.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

void tu_require(bool cond, const char *what)
{
    if (cond)
        return;
    const char *ci = getenv("CI");
    if (ci != NULL && strcmp(ci, "true") == 0) {
        fprintf(stderr, "FAIL: prerequisite missing under CI: %s\n", what);
        exit(1);
    }
    fprintf(stderr, "SKIP: prerequisite missing: %s\n", what);
    exit(TU_SKIP);
}

bool tu_have_command(const char *name)
{
    char cmd[256];
    snprintf(cmd, sizeof(cmd), "command -v '%s' >/dev/null 2>&1", name);
    return system(cmd) == 0;
}

bool tu_is_root(void)
{
    return geteuid() == 0;
}

int tu_run(const char *cmd, char *out, size_t outlen)
{
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return -1;
    size_t used = 0;
    if (out != NULL && outlen > 0) {
        size_t n;
        while (used + 1 < outlen && (n = fread(out + used, 1, outlen - 1 - used, f)) > 0)
            used += n;
        out[used] = '\0';
    }
    char sink[4096];
    while (fread(sink, 1, sizeof(sink), f) > 0) {
    }
    int st = pclose(f);
    if (st == -1 || !WIFEXITED(st))
        return -1;
    return WEXITSTATUS(st);
}

static char tu_dir[256];

static void tu_remove_tmpdir(void)
{
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tu_dir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", tu_dir);
}

const char *tu_tmpdir(void)
{
    if (tu_dir[0] != '\0')
        return tu_dir;
    const char *base = getenv("TMPDIR");
    snprintf(tu_dir, sizeof(tu_dir), "%s/umptcp-test-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(tu_dir) == NULL) {
        perror("mkdtemp");
        exit(1);
    }
    atexit(tu_remove_tmpdir);
    return tu_dir;
}

void tu_sha256_hex(const void *data, size_t len, char hex[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static void tu_die(const char *what, const char *detail)
{
    fprintf(stderr, "FAIL: %s: %s\n", what, detail);
    abort();
}

static int tu_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t tu_hex_decode(const char *hex, uint8_t *out, size_t cap)
{
    size_t len = strlen(hex);
    if (len % 2 != 0)
        tu_die("tu_hex_decode: odd number of hex digits", hex);
    if (len / 2 > cap)
        tu_die("tu_hex_decode: does not fit in the buffer", hex);
    for (size_t i = 0; i < len / 2; i++) {
        int hi = tu_hex_digit(hex[2 * i]), lo = tu_hex_digit(hex[2 * i + 1]);
        if (hi < 0 || lo < 0)
            tu_die("tu_hex_decode: not a hex digit", hex);
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return len / 2;
}

void *tu_exact_copy(const void *p, size_t len)
{
    void *copy = malloc(len > 0 ? len : 1);
    if (copy == NULL)
        tu_die("tu_exact_copy", "out of memory");
    if (len > 0)
        memcpy(copy, p, len);
    return copy;
}
