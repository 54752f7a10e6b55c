/* `umptcp cat --no-mptcp` against the Linux kernel's TCP over a TUN device, in both roles:
 * 100 MB each way at the same time, byte-exact (SHA-256 of what was sent and received on both
 * sides), a clean exit 0 once both directions ended, the kernel's view of the connection
 * (TCP_INFO: bytes acknowledged and received, as `ss -ti` shows them), the kernel's segment
 * counters, and the --stats file (test_cat_flow.c has flow control and IPv6).
 *
 * Runs in a private network namespace (netns_helper.h); the devices are persistent TUNs made
 * with `ip tuntap` that cat attaches to, gone with the namespace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "netns_helper.h"
#include "cat_harness.h"

#define MB (1024ull * 1024ull)
#define BIG (100 * MB)
#define XFER_TIMEOUT_MS 45000

static char stdin_path[300], stdin_hex[65];

static void run_big(bool server, uint16_t port, bool stdin_from_file)
{
    char stats[320];
    snprintf(stats, sizeof(stats), "%s/stats-%u.json", tu_tmpdir(), port);
    struct ch_transfer t = {.server = server,
                            .tun = "umcat0=10.41.0.2",
                            .kernel_addr = "10.41.0.1",
                            .cat_addr = "10.41.0.2",
                            .port = port,
                            .bytes = BIG,
                            .stdin_file = stdin_from_file ? stdin_path : NULL,
                            .stdin_hex = stdin_hex,
                            .stats = stats,
                            .timeout_ms = XFER_TIMEOUT_MS};
    long long in_before = netns_proc_counter("/proc/net/snmp", "Tcp:", "InSegs");
    long long out_before = netns_proc_counter("/proc/net/snmp", "Tcp:", "OutSegs");
    assert_true(ch_transfer_run(&t));
    ch_check_clean(&t);
    /* umptcp never sends a segment larger than its MSS (1460 at MTU 1500): at least one
     * kernel InSeg per 1460 bytes; the kernel sends at most that much per segment too. */
    long long in_delta = netns_proc_counter("/proc/net/snmp", "Tcp:", "InSegs") - in_before;
    long long out_delta = netns_proc_counter("/proc/net/snmp", "Tcp:", "OutSegs") - out_before;
    assert_true(in_delta >= (long long)(BIG / 1460));
    assert_true(out_delta >= (long long)(BIG / 1460));
    ch_check_stats(stats, &t, "umcat0");
}

/* cat connects, the kernel listens; cat's stdin is a regular file. */
static void test_cat_client_to_kernel_server(void **state)
{
    (void)state;
    run_big(false, 7001, true);
}

/* The kernel connects to cat -l; cat's stdin is a pipe. */
static void test_kernel_client_to_cat_server(void **state)
{
    (void)state;
    run_big(true, 7002, false);
}

static int setup_devices(void **state)
{
    (void)state;
    if (netns_tun_add("umcat0", "10.41.0.1/24") != 0)
        return -1;
    snprintf(stdin_path, sizeof(stdin_path), "%s/stdin.bin", tu_tmpdir());
    ch_write_file(stdin_path, 0x5eed, BIG, stdin_hex);
    return 0;
}

int main(void)
{
    netns_enter_private();
    tu_require(getenv("UMPTCP_BIN") != NULL, "UMPTCP_BIN (the umptcp binary)");
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cat_client_to_kernel_server),
        cmocka_unit_test(test_kernel_client_to_cat_server),
    };
    return cmocka_run_group_tests(tests, setup_devices, NULL);
}
