/* `umptcp demo`: output, determinism of its capture, argument errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *bin(void)
{
    const char *b = getenv("UMPTCP_BIN");
    tu_require(b != NULL && b[0] != '\0', "UMPTCP_BIN (set by ctest)");
    return b;
}

static int run_demo(const char *args, char *out, size_t outlen)
{
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "'%s' demo %s", bin(), args);
    return tu_run(cmd, out, outlen);
}

static size_t read_file(const char *path, uint8_t *buf, size_t cap)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static void test_demo_prints_links_and_paths(void **state)
{
    (void)state;
    static char out[16384];
    assert_int_equal(run_demo("--seed 3", out, sizeof(out)), 0);
    const char *expect[] = {"wifi-up", "wifi-down", "lte-up",         "lte-down",    "r-b",
                            "b-r",     "delivered", "ACKs came back", "virtual time"};
    for (size_t i = 0; i < sizeof(expect) / sizeof(expect[0]); i++)
        assert_non_null(strstr(out, expect[i]));
    /* Same seed, same text. */
    static char again[16384];
    assert_int_equal(run_demo("--seed 3", again, sizeof(again)), 0);
    assert_string_equal(out, again);
    assert_int_equal(run_demo("-q", out, sizeof(out)), 0);
    assert_string_equal(out, "");
    assert_int_equal(run_demo("--help", out, sizeof(out)), 0);
    assert_non_null(strstr(out, "usage: umptcp demo"));
}

static void test_demo_pcap_is_deterministic(void **state)
{
    (void)state;
    char args[600], p[3][300];
    static uint8_t a[4 << 20], b[4 << 20];
    const char *seeds[3] = {"7", "7", "8"};
    for (int i = 0; i < 3; i++) {
        snprintf(p[i], sizeof(p[i]), "%s/demo%d.pcap", tu_tmpdir(), i);
        snprintf(args, sizeof(args), "-q --seed %s --pcap '%s'", seeds[i], p[i]);
        assert_int_equal(run_demo(args, NULL, 0), 0);
    }
    size_t na = read_file(p[0], a, sizeof(a)), nb = read_file(p[1], b, sizeof(b));
    assert_true(na > 24 + 400 * 40 && na < sizeof(a));
    assert_int_equal(na, nb);
    assert_memory_equal(a, b, na);
    nb = read_file(p[2], b, sizeof(b));
    assert_true(na != nb || memcmp(a, b, na) != 0);
}

static void test_demo_rejects_bad_arguments(void **state)
{
    (void)state;
    const char *bad[] = {
        "--seed", "--seed x",     "--seed -3", "--seed 1x", "--seed 99999999999999999999999",
        "--pcap", "--frobnicate", "extra"};
    char args[200], out[1024];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        /* stderr only: exactly one line, and exit status 2 */
        snprintf(args, sizeof(args), "%s 2>&1 >/dev/null", bad[i]);
        assert_int_equal(run_demo(args, out, sizeof(out)), 2);
        assert_true(strlen(out) > 0);
        assert_non_null(strchr(out, '\n'));
        assert_ptr_equal(strchr(out, '\n'), out + strlen(out) - 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_demo_prints_links_and_paths),
        cmocka_unit_test(test_demo_pcap_is_deterministic),
        cmocka_unit_test(test_demo_rejects_bad_arguments),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
