/* DSS checksums (RFC 8684 3.1, 3.3.1) against the Linux kernel's MPTCP, in both roles, over a
 * TUN device in the test's private namespace: negotiated when the kernel asks for them
 * (net.mptcp.checksum_enabled=1) and, separately, when umptcp does
 * (umptcp_conn_opts.mptcp_checksum). Every mapping is summed and verified on both sides: no
 * checksum error, no fallback, data both ways byte for byte (SHA-256 on both ends). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "kernel_fallback_common.h"

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
    assert_int_equal(kernel_mib("NoDSSInWindow"), 0);
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
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_csum_kernel_asks_umptcp_client),
        cmocka_unit_test(test_csum_kernel_asks_kernel_client),
        cmocka_unit_test(test_csum_umptcp_asks_umptcp_client),
        cmocka_unit_test(test_csum_umptcp_asks_kernel_client),
    };
    return KERNEL_TESTS_RUN(tests);
}
