/* RFC 8684 3.7 and DSS checksums against the Linux kernel's MPTCP, in both roles, over a TUN
 * device in the test's private namespace:
 *  - a real middlebox, iptables' TCPOPTSTRIP --strip-options 30, on the path: on every segment
 *    (the handshake falls back) or only on data segments (options lost after the handshake:
 *    both sides fall back, the kernel's and our counters say how);
 *  - DSS checksums negotiated, asked for by the kernel (net.mptcp.checksum_enabled=1) or by
 *    umptcp (umptcp_conn_opts.mptcp_checksum): no checksum error on either side.
 * Every run moves data both ways and checks it byte for byte (SHA-256 on both ends). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mptcp/mptcp_conn.h"
#include "mptcp_kernel_harness.h"
#include "stack/stack_internal.h"

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

/* Why our connection fell back (NULL: it did not, or it never was MPTCP). */
static const char *umptcp_reason(const struct app *a)
{
    return a->c->mp != NULL ? mptcp_conn_fallback_reason(a->c->mp) : NULL;
}

struct kdelta {
    const char *name;
    long long before;
};

/* Kernel counters that tell how a fallback happened, before and after a run. */
static const char *const fb_counters[] = {
    "MPCapableFallbackACK", "MPCapableFallbackSYNACK", "MPCapableDataFallback", "DssFallback",
    "InfiniteMapTx",        "InfiniteMapRx",           "FallbackFailed",        "DataCsumErr",
    "MPCapableSYNRX",       "MPCapableSYNACKRX",
};
#define NFB (sizeof(fb_counters) / sizeof(fb_counters[0]))

static void kernel_snapshot(long long v[NFB])
{
    for (size_t i = 0; i < NFB; i++)
        v[i] = kernel_mib(fb_counters[i]);
}

/* The kernel counter's growth since the snapshot. */
static long long kernel_grew(const long long v[NFB], const char *name)
{
    for (size_t i = 0; i < NFB; i++)
        if (strcmp(fb_counters[i], name) == 0)
            return kernel_mib(name) - v[i];
    fail_msg("unknown counter %s", name);
    return 0;
}

static void print_fallback(struct app *a, const long long v[NFB])
{
    print_message("  kernel:");
    for (size_t i = 0; i < NFB; i++)
        print_message(" %s +%lld", fb_counters[i], kernel_mib(fb_counters[i]) - v[i]);
    print_message("\n  umptcp (%s): Fallback %llu SYNACK %llu ACK %llu DataFallback %llu "
                  "DssFallback %llu InfiniteMapTx %llu InfiniteMapRx %llu\n",
                  umptcp_reason(a) != NULL ? umptcp_reason(a) : "no fallback",
                  (unsigned long long)stack_mib(a, "MPTcpExtFallback"),
                  (unsigned long long)stack_mib(a, "MPTcpExtMPCapableFallbackSYNACK"),
                  (unsigned long long)stack_mib(a, "MPTcpExtMPCapableFallbackACK"),
                  (unsigned long long)stack_mib(a, "MPTcpExtMPCapableDataFallback"),
                  (unsigned long long)stack_mib(a, "MPTcpExtDssFallback"),
                  (unsigned long long)stack_mib(a, "MPTcpExtInfiniteMapTx"),
                  (unsigned long long)stack_mib(a, "MPTcpExtInfiniteMapRx"));
}

/* Device umf<n> gets its own subnet 10.<70 + n>.0.0/24 (kernel .1, umptcp .2), so that a
 * case that failed half-way leaves nothing in the way of the next. */
struct net {
    char dev[16], kernel_cidr[32], kernel[32], stack[32];
};

static struct net net_of(unsigned n)
{
    struct net t;
    snprintf(t.dev, sizeof(t.dev), "umf%u", n);
    snprintf(t.kernel_cidr, sizeof(t.kernel_cidr), "10.%u.0.1/24", 70 + n);
    snprintf(t.kernel, sizeof(t.kernel), "10.%u.0.1", 70 + n);
    snprintf(t.stack, sizeof(t.stack), "10.%u.0.2", 70 + n);
    return t;
}

static void setup(struct app *a, const struct net *t)
{
    app_setup_net(a, t->dev, t->kernel_cidr, t->stack);
}

/* One run in a role: umptcp client (kernel server) or umptcp server (kernel client). */
static void run_role(struct app *a, const struct net *t, bool umptcp_client, uint16_t port,
                     const umptcp_conn_opts *o)
{
    int pfd[2];
    assert_int_equal(pipe(pfd), 0);
    pid_t child;
    if (umptcp_client) {
        child = kernel_server_at("0.0.0.0", port, pfd[1]);
        app_connect_opts(a, t->kernel, port, o);
    } else {
        app_listen_opts(a, port, o);
        child = kernel_client_to(t->stack, port, pfd[1]);
    }
    app_transfer_check(a, child, pfd[0], pfd[1]);
    close(pfd[0]);
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

/* ---- DSS checksums --------------------------------------------------------------------------- */

/* Checksums negotiated (3.1: either side's A flag), asked for by the kernel or by us: every
 * mapping is summed and verified on both sides, none fails, nothing falls back. */
static void checksums(bool umptcp_client, bool kernel_asks, unsigned n)
{
    struct net t = net_of(n);
    long long k[NFB];
    kernel_snapshot(k);
    assert_int_equal(
        netns_sysctl_write("/proc/sys/net/mptcp/checksum_enabled", kernel_asks ? "1" : "0"), 0);
    struct app a;
    setup(&a, &t);
    umptcp_conn_opts o = {.mptcp = true, .mptcp_checksum = !kernel_asks};
    run_role(&a, &t, umptcp_client, (uint16_t)(5100 + n), &o);
    print_fallback(&a, k);
    assert_int_equal(stack_mib(&a, "MPTcpExtFallback"), 0);
    assert_null(umptcp_reason(&a));
    assert_true(a.c->mp != NULL && a.c->mp->csum); /* checksums were in use */
    assert_int_equal(stack_mib(&a, "MPTcpExtDataCsumErr"), 0);
    assert_int_equal(stack_mib(&a, "MPTcpExtDSSCsumMismatch"), 0);
    assert_int_equal(stack_mib(&a, "MPTcpExtMPFailTx"), 0);
    assert_int_equal(kernel_grew(k, "DataCsumErr"), 0);
    assert_int_equal(kernel_mib("DSSNotMatching"), 0);
    assert_int_equal(kernel_grew(k, "InfiniteMapRx"), 0);
    assert_int_equal(
        kernel_grew(k, "MPCapableFallbackACK") + kernel_grew(k, "MPCapableFallbackSYNACK"), 0);
    app_close(&a);
    assert_int_equal(netns_sysctl_write("/proc/sys/net/mptcp/checksum_enabled", "0"), 0);
    app_teardown(&a);
}

static void test_csum_kernel_asks_umptcp_client(void **state)
{
    (void)state;
    checksums(true, true, 4);
}

static void test_csum_kernel_asks_kernel_client(void **state)
{
    (void)state;
    checksums(false, true, 5);
}

static void test_csum_umptcp_asks_umptcp_client(void **state)
{
    (void)state;
    checksums(true, false, 6);
}

static void test_csum_umptcp_asks_kernel_client(void **state)
{
    (void)state;
    checksums(false, false, 7);
}

int main(void)
{
    netns_enter_private();
    tu_require(netns_sysctl_write("/proc/sys/net/mptcp/enabled", "1") == 0, "kernel MPTCP");
    tu_require(tu_have_command("iptables"), "iptables");
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strip_all_umptcp_client),
        cmocka_unit_test(test_strip_all_kernel_client),
        cmocka_unit_test(test_strip_data_umptcp_client),
        cmocka_unit_test(test_strip_data_kernel_client),
        cmocka_unit_test(test_csum_kernel_asks_umptcp_client),
        cmocka_unit_test(test_csum_kernel_asks_kernel_client),
        cmocka_unit_test(test_csum_umptcp_asks_umptcp_client),
        cmocka_unit_test(test_csum_umptcp_asks_kernel_client),
    };
    /* Debugging aid: UMPTCP_TEST_ONLY=NAME runs one case. */
    const char *only = getenv("UMPTCP_TEST_ONLY");
    if (only != NULL) {
        for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
            if (strcmp(tests[i].name, only) == 0)
                return _cmocka_run_group_tests("one", &tests[i], 1, NULL, NULL);
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
