/* How `umptcp cat --no-mptcp` fails: each failure is one line on stderr and a non-zero exit,
 * and the kernel peer sees the matching behaviour.
 *
 *  - the kernel resets the connection (SO_LINGER 0) in the middle of a transfer;
 *  - nothing listens on the kernel's port (its RST refuses the SYN), with a capture;
 *  - nobody answers at all, and --connect-timeout ends the wait (client and server);
 *  - (and, on the refused path, that --seed makes the port and ISN secret reproducible);
 *  - no permission for TUN devices (as user nobody, and as root without CAP_NET_ADMIN);
 *  - the TUN device is busy (another process holds it);
 *  - SIGTERM to a listening server and SIGINT to a client in the middle of a transfer: the
 *    process ends promptly with 128 + signal, removes the device it created, writes --stats,
 *    and the kernel peer of the interrupted connection gets a reset, not a hang.
 *
 * Runs in a private network namespace (netns_helper.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "netns_helper.h"
#include "cat_harness.h"
#include "host/tun.h"
#include "umptcp/error.h"

#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <sys/prctl.h>
#include <sys/syscall.h>

#define MB (1024ull * 1024ull)
#define EXIT_WAIT_MS 10000

/* Feeds cat's stdin pipe and drains the kernel socket (when ks >= 0) until cat exits or
 * timeout_ms; returns the bytes the kernel socket received before it saw end or error, with
 * that error in *kerr (0 = orderly end or still open). */
static uint64_t pump_until_exit(struct ch_cat *c, struct ch_sender *in, int ks, int *kerr,
                                int timeout_ms)
{
    uint64_t end = ch_now_ms() + (uint64_t)timeout_ms, got = 0;
    uint8_t buf[CH_CHUNK];
    bool kdone = ks < 0;
    *kerr = 0;
    while (ch_now_ms() < end && !ch_cat_reap(c)) {
        if (c->in_fd >= 0 && !ch_sender_pump(in, c->in_fd, false)) {
            close(c->in_fd);
            c->in_fd = -1;
        }
        while (!kdone) {
            ssize_t n = recv(ks, buf, sizeof(buf), 0);
            if (n > 0) {
                got += (uint64_t)n;
                continue;
            }
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                break;
            kdone = true;
            *kerr = n < 0 ? errno : 0;
        }
        ch_cat_read_err(c);
        char sink[CH_CHUNK];
        while (read(c->out_fd, sink, sizeof(sink)) > 0) {
        }
        struct pollfd p = {.fd = c->err_fd, .events = POLLIN};
        poll(&p, 1, 10);
    }
    return got;
}

/* The kernel accepts, takes 2 MB, then closes with SO_LINGER {1, 0}: a RST (RFC 9293 3.10.4
 * abort). cat must say "connection reset by peer" and exit 1. */
static void test_kernel_resets(void **state)
{
    (void)state;
    char stats[320];
    snprintf(stats, sizeof(stats), "%s/stats-reset.json", tu_tmpdir());
    int lfd = ch_kernel_listen("10.43.0.1", 7201);
    const char *args[] = {"--no-mptcp", "--tun", "umcate0=10.43.0.2", "--stats", stats, "10.43.0.1",
                          "7201",       NULL};
    struct ch_cat c;
    ch_cat_spawn(&c, NULL, NULL, args);
    int ks = ch_kernel_accept(lfd, &c, 5000);
    close(lfd);
    if (ks < 0)
        fail_msg("no connection; cat: %s", c.err);
    struct ch_sender *in = malloc(sizeof(*in));
    assert_non_null(in);
    ch_sender_init(in, 1, 1024 * MB); /* more than will ever be taken */
    long long rsts_before = netns_proc_counter("/proc/net/snmp", "Tcp:", "OutRsts");

    /* Let 2 MB arrive, then reset. */
    uint64_t got = 0, end = ch_now_ms() + 10000;
    uint8_t buf[CH_CHUNK];
    while (got < 2 * MB && ch_now_ms() < end && !ch_cat_reap(&c)) {
        if (c.in_fd >= 0)
            ch_sender_pump(in, c.in_fd, false);
        ssize_t n = recv(ks, buf, sizeof(buf), 0);
        if (n > 0)
            got += (uint64_t)n;
        struct pollfd p[2] = {{.fd = ks, .events = POLLIN}, {.fd = c.in_fd, .events = POLLOUT}};
        poll(p, 2, 10);
    }
    assert_true(got >= 2 * MB);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(setsockopt(ks, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
    close(ks);
    assert_true(netns_proc_counter("/proc/net/snmp", "Tcp:", "OutRsts") > rsts_before);

    int kerr;
    pump_until_exit(&c, in, -1, &kerr, EXIT_WAIT_MS);
    int status = ch_cat_wait(&c, 1000);
    ch_hash_final(&in->hash, (char[65]){0});
    free(in);
    assert_int_equal(status, 1);
    assert_true(ch_one_line_error(&c, "umptcp cat: 10.43.0.1:7201: connection reset by peer"));
    char *json = ch_read_file(stats);
    assert_non_null(json);
    assert_int_equal(ch_json_number(json, "exit_status"), 1);
    assert_non_null(strstr(json, "\"error\": \"10.43.0.1:7201: connection reset by peer\""));
    /* The kernel took 2 MB; it may not have acknowledged the last of them before its RST. */
    long long acked = ch_json_number(json, "bytes_acked");
    assert_true(acked >= (long long)MB && acked <= ch_json_number(json, "bytes_sent"));
    free(json);
}

static uint32_t pcap_count_records(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t hdr[24], rec[16];
    assert_int_equal(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
    uint32_t n = 0;
    while (fread(rec, 1, sizeof(rec), f) == sizeof(rec)) {
        uint32_t incl;
        memcpy(&incl, rec + 8, 4); /* written in host order */
        assert_true(incl <= 65535);
        assert_int_equal(fseek(f, (long)incl, SEEK_CUR), 0);
        n++;
    }
    fclose(f);
    return n;
}

/* Nothing listens: the kernel answers the SYN with RST, cat says "connection refused" at once
 * and exits 1. The capture holds the SYN and the RST. */
static void test_nothing_listens(void **state)
{
    (void)state;
    char pcap[320];
    snprintf(pcap, sizeof(pcap), "%s/refused.pcap", tu_tmpdir());
    long long rsts_before = netns_proc_counter("/proc/net/snmp", "Tcp:", "OutRsts");
    const char *args[] = {"--no-mptcp", "--tun", "umcate0=10.43.0.2",
                          "--pcap",     pcap,    "-q",
                          "10.43.0.1",  "7202",  NULL};
    struct ch_cat c;
    uint64_t t0 = ch_now_ms();
    ch_cat_spawn(&c, "/dev/null", NULL, args);
    int status = ch_cat_wait(&c, EXIT_WAIT_MS);
    assert_true(ch_now_ms() - t0 < 5000); /* no retries after a RST */
    assert_int_equal(status, 1);
    assert_true(ch_one_line_error(&c, "umptcp cat: 10.43.0.1:7202: connection refused"));
    assert_true(netns_proc_counter("/proc/net/snmp", "Tcp:", "OutRsts") > rsts_before);
    assert_true(pcap_count_records(pcap) >= 2);
    if (tu_have_command("tshark")) {
        char cmd[600], out[256];
        snprintf(cmd, sizeof(cmd),
                 "tshark -r '%s' -Y 'tcp.flags.reset == 1 && ip.src == 10.43.0.1' 2>/dev/null "
                 "| wc -l",
                 pcap);
        assert_int_equal(tu_run(cmd, out, sizeof(out)), 0);
        assert_true(atoi(out) >= 1);
    }
}

/* Nobody answers (the kernel does not forward to 10.43.0.99): --connect-timeout ends the
 * wait with a one-line timeout message and exit 1, and the server side says so as well. */
static void test_connect_timeout(void **state)
{
    (void)state;
    const char *args[] = {
        "--no-mptcp", "--tun", "umcate0=10.43.0.2", "--connect-timeout", "0.5", "10.43.0.99",
        "7204",       NULL};
    struct ch_cat c;
    uint64_t t0 = ch_now_ms();
    ch_cat_spawn(&c, "/dev/null", NULL, args);
    int status = ch_cat_wait(&c, EXIT_WAIT_MS);
    uint64_t took = ch_now_ms() - t0;
    assert_int_equal(status, 1);
    assert_true(ch_one_line_error(
        &c, "umptcp cat: 10.43.0.99:7204: connection timed out (not established within 0.5 s)"));
    assert_true(took >= 500 && took < 5000);

    const char *server[] = {"-l",  "--no-mptcp", "--tun", "umcate0=10.43.0.2", "--connect-timeout",
                            "0.3", "7205",       NULL};
    ch_cat_spawn(&c, "/dev/null", NULL, server);
    status = ch_cat_wait(&c, EXIT_WAIT_MS);
    assert_int_equal(status, 1);
    assert_true(ch_one_line_error(&c, "umptcp cat: no connection within 0.3 s"));
}

/* The first packet of a capture: the SYN cat sent. Its source port and sequence number. */
static void pcap_first_syn(const char *path, uint16_t *sport, uint32_t *seq)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t hdr[24], rec[16], pkt[60];
    assert_int_equal(fread(hdr, 1, sizeof(hdr), f), sizeof(hdr));
    assert_int_equal(fread(rec, 1, sizeof(rec), f), sizeof(rec));
    assert_int_equal(fread(pkt, 1, sizeof(pkt), f), sizeof(pkt));
    fclose(f);
    assert_int_equal(pkt[0] >> 4, 4);
    const uint8_t *tcp = pkt + 4 * (pkt[0] & 0x0f);
    assert_true(tcp[13] & 0x02); /* SYN */
    *sport = (uint16_t)(tcp[0] << 8 | tcp[1]);
    *seq = (uint32_t)tcp[4] << 24 | (uint32_t)tcp[5] << 16 | (uint32_t)tcp[6] << 8 | tcp[7];
}

static void refused_run_with_seed(const char *seed, uint16_t *sport, uint32_t *seq)
{
    char pcap[320];
    snprintf(pcap, sizeof(pcap), "%s/seed-%s.pcap", tu_tmpdir(), seed);
    const char *args[] = {"--no-mptcp", "--tun", "umcate0=10.43.0.2", "--seed", seed, "--pcap",
                          pcap,         "-q",    "10.43.0.1",         "7206",   NULL};
    struct ch_cat c;
    ch_cat_spawn(&c, "/dev/null", NULL, args);
    assert_int_equal(ch_cat_wait(&c, EXIT_WAIT_MS), 1);
    pcap_first_syn(pcap, sport, seq);
}

/* --seed makes the stack's secrets reproducible: the same seed picks the same ephemeral port
 * and the same ISN secret (RFC 6528: the ISNs differ only by the clock's ticks in between);
 * another seed gives other values. */
static void test_seed_reproducible(void **state)
{
    (void)state;
    uint16_t p1, p2, p3;
    uint32_t s1, s2, s3;
    refused_run_with_seed("42", &p1, &s1);
    refused_run_with_seed("42", &p2, &s2);
    refused_run_with_seed("43", &p3, &s3);
    assert_int_equal(p1, p2);
    assert_true(s2 - s1 < (1u << 26)); /* about 4 us per tick: well under a minute */
    assert_true(p3 != p1 || s3 - s1 >= (1u << 26));
}

static void become_nobody(void)
{
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
        _exit(125);
}

/* Stays uid 0 (so /dev/net/tun opens) but loses CAP_NET_ADMIN, also across exec (a root
 * process regains every capability of its bounding set at exec). */
static void drop_cap_net_admin(void)
{
    if (prctl(PR_CAPBSET_DROP, CAP_NET_ADMIN, 0, 0, 0) != 0)
        _exit(124);
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &hdr, data) != 0)
        _exit(124);
    data[0].effective &= ~(1u << CAP_NET_ADMIN);
    data[0].permitted &= ~(1u << CAP_NET_ADMIN);
    data[0].inheritable &= ~(1u << CAP_NET_ADMIN);
    if (syscall(SYS_capset, &hdr, data) != 0)
        _exit(124);
}

static void check_not_permitted(void (*pre_exec)(void))
{
    const char *args[] = {"--no-mptcp", "--tun", "umcat-np=10.44.0.2", "10.44.0.1", "80", NULL};
    struct ch_cat c;
    ch_cat_spawn(&c, "/dev/null", pre_exec, args);
    int status = ch_cat_wait(&c, EXIT_WAIT_MS);
    assert_int_equal(status, 1);
    assert_true(ch_one_line_error(&c, "umptcp cat: cannot open TUN device 'umcat-np': operation "
                                      "not permitted (needs CAP_NET_ADMIN)"));
    assert_int_equal(if_nametoindex("umcat-np"), 0);
}

static void test_not_permitted_as_nobody(void **state)
{
    (void)state;
    check_not_permitted(become_nobody);
}

static void test_not_permitted_without_cap(void **state)
{
    (void)state;
    check_not_permitted(drop_cap_net_admin);
}

/* Another process holds the device (a TUN without IFF_MULTI_QUEUE has one reader). */
static void test_device_busy(void **state)
{
    (void)state;
    struct host_tun *t = NULL;
    char err[256];
    assert_int_equal(host_tun_open(&t, "umcat-busy", err, sizeof(err)), UMPTCP_OK);
    const char *args[] = {"--no-mptcp", "--tun", "umcat-busy=10.46.0.2", "10.46.0.1", "80", NULL};
    struct ch_cat c;
    ch_cat_spawn(&c, "/dev/null", NULL, args);
    int status = ch_cat_wait(&c, EXIT_WAIT_MS);
    host_tun_close(t);
    assert_int_equal(status, 1);
    assert_true(ch_one_line_error(&c, "cannot open TUN device 'umcat-busy': device busy"));
}

/* SIGTERM to a server waiting for its connection: exit 143 at once, its device gone. */
static void test_sigterm_listening_server(void **state)
{
    (void)state;
    char stats[320];
    snprintf(stats, sizeof(stats), "%s/stats-term.json", tu_tmpdir());
    const char *args[] = {"-l",      "--no-mptcp", "-v",   "--tun", "umcat-sig=10.47.0.2",
                          "--stats", stats,        "7301", NULL};
    struct ch_cat c;
    ch_cat_spawn(&c, NULL, NULL, args);
    assert_true(ch_cat_wait_err(&c, "umptcp cat: listening on port 7301\n", 5000));
    assert_true(if_nametoindex("umcat-sig") > 0);
    uint64_t t0 = ch_now_ms();
    assert_int_equal(kill(c.pid, SIGTERM), 0);
    int status = ch_cat_wait(&c, EXIT_WAIT_MS);
    assert_true(ch_now_ms() - t0 < 2000);
    assert_int_equal(status, 128 + SIGTERM);
    assert_non_null(strstr(c.err, "\numptcp cat: interrupted by SIGTERM\n"));
    assert_null(strstr(c.err, "ERROR")); /* no sanitizer report (leaks) */
    assert_int_equal(if_nametoindex("umcat-sig"), 0);
    char *json = ch_read_file(stats);
    assert_non_null(json);
    assert_int_equal(ch_json_number(json, "exit_status"), 128 + SIGTERM);
    assert_non_null(strstr(json, "\"connections\": []"));
    free(json);
}

/* SIGINT to a client in the middle of a transfer: exit 130, and the kernel's reader sees the
 * connection reset (the stack aborts it) instead of waiting for more. */
static void test_sigint_client_resets_peer(void **state)
{
    (void)state;
    int lfd = ch_kernel_listen("10.43.0.1", 7203);
    const char *args[] = {"--no-mptcp", "--tun", "umcate0=10.43.0.2", "10.43.0.1", "7203", NULL};
    struct ch_cat c;
    ch_cat_spawn(&c, NULL, NULL, args);
    int ks = ch_kernel_accept(lfd, &c, 5000);
    close(lfd);
    if (ks < 0)
        fail_msg("no connection; cat: %s", c.err);
    struct ch_sender *in = malloc(sizeof(*in));
    assert_non_null(in);
    ch_sender_init(in, 2, 1024 * MB);
    int kerr = 0;
    /* Move data for a moment (cat keeps running: the stream is far from its end). */
    uint64_t got = pump_until_exit(&c, in, ks, &kerr, 300);
    assert_false(c.exited);
    assert_true(got > 0);
    assert_int_equal(kill(c.pid, SIGINT), 0);
    pump_until_exit(&c, in, ks, &kerr, EXIT_WAIT_MS);
    /* The RST may trail the exit by a moment: read on (bounded) until the kernel sees it. */
    for (uint64_t end = ch_now_ms() + 2000; kerr == 0 && ch_now_ms() < end;) {
        uint8_t buf[CH_CHUNK];
        ssize_t n = recv(ks, buf, sizeof(buf), 0);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
            kerr = errno;
        else if (n == 0)
            break;
        else if (n < 0)
            usleep(5000);
    }
    int status = ch_cat_wait(&c, 1000);
    close(ks);
    ch_hash_final(&in->hash, (char[65]){0});
    free(in);
    assert_int_equal(status, 128 + SIGINT);
    assert_true(ch_one_line_error(&c, "umptcp cat: interrupted by SIGINT"));
    assert_int_equal(kerr, ECONNRESET);
}

static int setup_device(void **state)
{
    (void)state;
    return netns_tun_add("umcate0", "10.43.0.1/24") == 0 ? 0 : -1;
}

int main(void)
{
    netns_enter_private();
    tu_require(getenv("UMPTCP_BIN") != NULL, "UMPTCP_BIN (the umptcp binary)");
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_resets),
        cmocka_unit_test(test_nothing_listens),
        cmocka_unit_test(test_connect_timeout),
        cmocka_unit_test(test_seed_reproducible),
        cmocka_unit_test(test_not_permitted_as_nobody),
        cmocka_unit_test(test_not_permitted_without_cap),
        cmocka_unit_test(test_device_busy),
        cmocka_unit_test(test_sigterm_listening_server),
        cmocka_unit_test(test_sigint_client_resets_peer),
    };
    return cmocka_run_group_tests(tests, setup_device, NULL);
}
