/* `umptcp cat --no-mptcp --loss 1%` against the Linux kernel's TCP over a TUN device, in both
 * roles: the host runtime drops 1% of the packets in each direction (this kernel has no
 * netem), and 100 MB each way must still arrive byte-exact with a clean exit 0. Both sides
 * must have recovered by retransmitting: the kernel (its RetransSegs counter and TCP_INFO)
 * and umptcp (retrans_segs in --stats), and the runtime must report the drops it made.
 * Runs in a private network namespace (netns_helper.h). */
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
#define XFER_TIMEOUT_MS 50000

static void run_lossy(bool server, uint16_t port, const char *seed)
{
    char stats[320];
    snprintf(stats, sizeof(stats), "%s/stats-%u.json", tu_tmpdir(), port);
    const char *extra[] = {"--loss", "1%", "--seed", seed, NULL};
    struct ch_transfer t = {.server = server,
                            .tun = "umcatl0=10.42.0.2",
                            .kernel_addr = "10.42.0.1",
                            .cat_addr = "10.42.0.2",
                            .port = port,
                            .bytes = BIG,
                            .extra = extra,
                            .stats = stats,
                            .timeout_ms = XFER_TIMEOUT_MS};
    long long rtx_before = netns_proc_counter("/proc/net/snmp", "Tcp:", "RetransSegs");
    assert_true(ch_transfer_run(&t));
    if (t.status != 0)
        fail_msg("cat exited %d: %s", t.status, t.cat_err);
    assert_true(t.kernel_got_all);
    assert_true(t.cat_got_all);
    assert_true(t.ti.tcpi_bytes_received >= BIG && t.ti.tcpi_bytes_received <= BIG + 1);
    assert_true(t.ti.tcpi_bytes_acked >= BIG && t.ti.tcpi_bytes_acked <= BIG + 2);
    /* The kernel lost about 1% of its segments on the way in and resent them. */
    assert_true(t.ti.tcpi_total_retrans > 0);
    long long rtx_delta = netns_proc_counter("/proc/net/snmp", "Tcp:", "RetransSegs") - rtx_before;
    assert_true(rtx_delta >= (long long)t.ti.tcpi_total_retrans);
    assert_null(strstr(t.cat_err, "ERROR"));
    assert_null(strstr(t.cat_err, "runtime error"));

    assert_true(ch_json_valid(stats));
    char *json = ch_read_file(stats);
    assert_non_null(json);
    assert_int_equal(ch_json_number(json, "exit_status"), 0);
    assert_int_equal(ch_json_number(json, "bytes_received"), (long long)BIG);
    assert_int_equal(ch_json_number(json, "bytes_acked"), (long long)BIG);
    /* umptcp recovered from the losses on its side; the runtime made drops both ways, about
     * 1% of some 70,000 data packets each way (far from zero, far from everything). */
    assert_true(ch_json_number(json, "retrans_segs") > 0);
    long long rx_drop = ch_json_number(json, "rx_loss_dropped");
    long long tx_drop = ch_json_number(json, "tx_loss_dropped");
    long long rx_pkts = ch_json_number(json, "rx_packets");
    if (rx_drop < 100 || tx_drop < 100 || rx_drop > rx_pkts / 20)
        fail_msg("injected drops: in %lld (of %lld delivered), out %lld", rx_drop, rx_pkts,
                 tx_drop);
    free(json);
}

static void test_cat_client_lossy(void **state)
{
    (void)state;
    run_lossy(false, 7101, "11");
}

static void test_cat_server_lossy(void **state)
{
    (void)state;
    run_lossy(true, 7102, "12");
}

static int setup_device(void **state)
{
    (void)state;
    return netns_tun_add("umcatl0", "10.42.0.1/24") == 0 ? 0 : -1;
}

int main(void)
{
    netns_enter_private();
    tu_require(getenv("UMPTCP_BIN") != NULL, "UMPTCP_BIN (the umptcp binary)");
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cat_client_lossy),
        cmocka_unit_test(test_cat_server_lossy),
    };
    return cmocka_run_group_tests(tests, setup_device, NULL);
}
