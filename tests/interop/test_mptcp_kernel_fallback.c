/* RFC 8684 3.7 against the Linux kernel's MPTCP, in both roles, over a TUN device in the
 * test's private namespace, with a real middlebox on the path: iptables' TCPOPTSTRIP
 * --strip-options 30 on every segment (the handshake falls back) or only on data segments
 * (options lost after the handshake: both sides fall back, the kernel's and our counters say
 * how). Every run moves data both ways and checks it byte for byte (SHA-256 on both ends).
 * The checksum cases are in test_mptcp_kernel_csum.c; the helpers both share are in
 * kernel_fallback_common.h. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel_fallback_common.h"

/* Data segments only: pure ACKs (and the handshake) are far shorter than 200 bytes. */
#define DATA_ONLY "-m length --length 200:65535"

/* TCPOPTSTRIP of MPTCP (kind 30) on both directions of dev, on packets matching match. */
static void strip_mptcp(const char *dev, const char *match)
{
    assert_int_equal(netns_sh("iptables -t mangle -A PREROUTING -i %s -p tcp %s -j TCPOPTSTRIP "
                              "--strip-options 30",
                              dev, match),
                     0);
    assert_int_equal(netns_sh("iptables -t mangle -A POSTROUTING -o %s -p tcp %s -j TCPOPTSTRIP "
                              "--strip-options 30",
                              dev, match),
                     0);
}

static void unstrip(void)
{
    assert_int_equal(netns_sh("iptables -t mangle -F"), 0);
}

/* ---- TCPOPTSTRIP ---------------------------------------------------------------------------- */

/* Every segment loses its MPTCP options: the handshake is plain TCP on the wire; the side that
 * sent MP_CAPABLE on its SYN falls back when the SYN/ACK has none. */
static void strip_all(bool umptcp_client, unsigned n)
{
    struct net t = net_of(n);
    long long k[NFB];
    kernel_snapshot(k);
    struct app a;
    setup(&a, &t);
    strip_mptcp(t.dev, "");
    umptcp_conn_opts o = {.mptcp = true};
    run_role(&a, &t, umptcp_client, (uint16_t)(5100 + n), &o);
    print_fallback(&a, k);
    if (umptcp_client) {
        assert_int_equal(stack_mib(&a, "MPTcpExtMPCapableFallbackSYNACK"), 1);
        assert_int_equal(kernel_grew(k, "MPCapableSYNRX"), 0); /* it never saw MP_CAPABLE */
    } else {
        assert_true(kernel_grew(k, "MPCapableFallbackSYNACK") >= 1);
        assert_int_equal(stack_mib(&a, "MPTcpExtMPCapableSYNRX"), 0);
    }
    assert_int_equal(stack_mib(&a, "MPTcpExtFallback"), umptcp_client ? 1 : 0);
    if (umptcp_client)
        assert_string_equal(umptcp_reason(&a), "no MP_CAPABLE on the SYN/ACK");
    app_close(&a);
    unstrip();
    app_teardown(&a);
}

static void test_strip_all_umptcp_client(void **state)
{
    (void)state;
    strip_all(true, 0);
}

static void test_strip_all_kernel_client(void **state)
{
    (void)state;
    strip_all(false, 1);
}

/* The handshake keeps its options, data segments lose them (3.7: "MPTCP options get through on
 * the SYN but not on regular packets"): both sides fall back to TCP and the stream is intact. */
static void strip_data(bool umptcp_client, unsigned n)
{
    struct net t = net_of(n);
    long long k[NFB];
    kernel_snapshot(k);
    struct app a;
    setup(&a, &t);
    strip_mptcp(t.dev, DATA_ONLY);
    umptcp_conn_opts o = {.mptcp = true};
    run_role(&a, &t, umptcp_client, (uint16_t)(5100 + n), &o);
    print_fallback(&a, k);
    /* The handshake was MPTCP on both sides ... */
    assert_int_equal(
        stack_mib(&a, umptcp_client ? "MPTcpExtMPCapableSYNACKRX" : "MPTcpExtMPCapableACKRX"), 1);
    assert_true(kernel_grew(k, "MPCapableSYNRX") + kernel_grew(k, "MPCapableSYNACKRX") >= 1);
    assert_int_equal(kernel_grew(k, "MPCapableFallbackSYNACK"), 0);
    /* ... and both fell back after it. The kernel server counts the missing MP_CAPABLE on the
     * first data as a fallback at the third ACK (its connection is fully established there). */
    assert_int_equal(stack_mib(&a, "MPTcpExtFallback"), 1);
    assert_int_equal(stack_mib(&a, "MPTcpExtMPCapableDataFallback") +
                         stack_mib(&a, "MPTcpExtDssFallback") +
                         stack_mib(&a, "MPTcpExtInfiniteMapRx"),
                     1);
    assert_true(kernel_grew(k, "MPCapableFallbackACK") + kernel_grew(k, "MPCapableDataFallback") +
                    kernel_grew(k, "DssFallback") + kernel_grew(k, "InfiniteMapRx") >=
                1);
    assert_int_equal(kernel_grew(k, "FallbackFailed"), 0);
    assert_int_equal(stack_mib(&a, "MPTcpExtFallbackFailed"), 0);
    assert_non_null(umptcp_reason(&a));
    app_close(&a);
    unstrip();
    app_teardown(&a);
}

static void test_strip_data_umptcp_client(void **state)
{
    (void)state;
    strip_data(true, 2);
}

static void test_strip_data_kernel_client(void **state)
{
    (void)state;
    strip_data(false, 3);
}

int main(void)
{
    tu_require(tu_have_command("iptables"), "iptables");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strip_all_umptcp_client),
        cmocka_unit_test(test_strip_all_kernel_client),
        cmocka_unit_test(test_strip_data_umptcp_client),
        cmocka_unit_test(test_strip_data_kernel_client),
    };
    return KERNEL_TESTS_RUN(tests);
}
