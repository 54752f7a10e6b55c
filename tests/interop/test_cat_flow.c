/* `umptcp cat --no-mptcp` against the Linux kernel's TCP over TUN devices: flow control both
 * ways with readers that stall (byte-exact, clean exit, the kernel's byte counts), and
 * IPv6 with two --tun, where the first device of the destination's family carries the
 * connection. Runs in a private network namespace (netns_helper.h); the devices are
 * persistent TUNs made with `ip tuntap` that cat attaches to. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "netns_helper.h"
#include "cat_harness.h"

#define MB (1024ull * 1024ull)
#define XFER_TIMEOUT_MS 45000

/* IPv6, two interfaces: the connection goes out of the first --tun of the destination's
 * family (umcat1), and the stack sends nothing on the IPv4 one; --cc, --mtu and --mss reach
 * the connection. */
static void test_ipv6_second_tun(void **state)
{
    (void)state;
    char stats[320];
    snprintf(stats, sizeof(stats), "%s/stats-v6.json", tu_tmpdir());
    const char *extra[] = {"--tun", "umcat1=fd41::2", "--cc", "reno", "--mtu",
                           "1400",  "--mss",          "1000", NULL};
    struct ch_transfer t = {.server = false,
                            .tun = "umcat0=10.41.0.2",
                            .kernel_addr = "fd41::1",
                            .cat_addr = "fd41::2",
                            .port = 7003,
                            .bytes = 4 * MB,
                            .extra = extra,
                            .stats = stats,
                            .timeout_ms = XFER_TIMEOUT_MS};
    assert_true(ch_transfer_run(&t));
    ch_check_clean(&t);
    ch_check_stats(stats, &t, "umcat1");
    char *json = ch_read_file(stats);
    assert_non_null(json);
    assert_non_null(strstr(json, "\"address\": \"fd41::2\""));
    assert_non_null(strstr(json, "\"cc\": \"reno\""));
    /* --mss 1000 (as Linux's TCP_MAXSEG) bounds the segments of both sides: umptcp's
     * sender MSS and what the kernel may send us (less the 12 bytes of timestamps). */
    long long mss = ch_json_number(json, "mss");
    if (!(mss > 900 && mss <= 1000))
        fail_msg("umptcp sender MSS %lld", mss);
    assert_true(t.ti.tcpi_snd_mss > 900 && t.ti.tcpi_snd_mss <= 1000);
    /* --mtu set the devices' MTU. */
    char out[512];
    assert_int_equal(tu_run("ip -o link show umcat1", out, sizeof(out)), 0);
    assert_non_null(strstr(out, " mtu 1400 "));
    /* The first "tx_packets" is that of interfaces[0], umcat0. */
    assert_non_null(strstr(json, "\"name\": \"umcat0\""));
    assert_true(strstr(json, "\"name\": \"umcat0\"") < strstr(json, "\"name\": \"umcat1\""));
    assert_int_equal(ch_json_number(json, "tx_packets"), 0);
    free(json);
}

/* Flow control both ways: the kernel reads nothing for a second while it sends (its receive
 * window closes: umptcp must stay inside it and keep the kernel's data flowing), and nobody
 * reads cat's stdout for a second (cat must stop reading the connection, so umptcp's window
 * closes and the kernel waits). Then both drain and everything arrives. */
static void run_slow_readers(bool server, uint16_t port)
{
    char stats[320];
    snprintf(stats, sizeof(stats), "%s/stats-%u.json", tu_tmpdir(), port);
    struct ch_transfer t = {.server = server,
                            .tun = "umcat0=10.41.0.2",
                            .kernel_addr = "10.41.0.1",
                            .cat_addr = "10.41.0.2",
                            .port = port,
                            .bytes = 20 * MB,
                            .stats = stats,
                            .timeout_ms = XFER_TIMEOUT_MS,
                            .kernel_read_delay_ms = 1000,
                            .catout_read_delay_ms = 1000};
    assert_true(ch_transfer_run(&t));
    ch_check_clean(&t);
    ch_check_stats(stats, &t, "umcat0");
}

static void test_slow_readers_client(void **state)
{
    (void)state;
    run_slow_readers(false, 7004);
}

static void test_slow_readers_server(void **state)
{
    (void)state;
    run_slow_readers(true, 7005);
}

static int setup_devices(void **state)
{
    (void)state;
    if (netns_tun_add("umcat0", "10.41.0.1/24") != 0 || netns_tun_add("umcat1", "fd41::1/64") != 0)
        return -1;
    return 0;
}

int main(void)
{
    netns_enter_private();
    tu_require(getenv("UMPTCP_BIN") != NULL, "UMPTCP_BIN (the umptcp binary)");
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ipv6_second_tun),
        cmocka_unit_test(test_slow_readers_client),
        cmocka_unit_test(test_slow_readers_server),
    };
    return cmocka_run_group_tests(tests, setup_devices, NULL);
}
