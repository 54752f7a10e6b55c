/* The host TUN device against the real kernel: open/name/ifindex/MTU/up, whole-packet write
 * and read (an ICMP echo answered by the kernel), injected loss per direction, busy devices,
 * and the permission errors a tool prints. Runs in a private network namespace (see
 * netns_helper.h); needs root and iproute2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "netns_helper.h"
#include "host/clock.h"
#include "host/tun.h"
#include "umptcp/addr.h"
#include "umptcp/error.h"
#include "util/bytes.h"
#include "wire/checksum.h"
#include "wire/ip.h"

#include <grp.h>
#include <linux/capability.h>
#include <net/if.h>
#include <poll.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define IPPROTO_ICMP_NUM 1
#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMP_HDR_LEN 8
#define ECHO_ID 0x4242
#define REPLY_WAIT (2 * HOST_NS_PER_SEC)
#define SILENCE_WAIT (200 * HOST_NS_PER_MS)

static const char kernel_addr[] = "10.20.0.1";
static const char peer_addr[] = "10.20.0.2";
static const uint8_t echo_data[] = "umptcp tun echo";

static struct host_tun *open_tun(const char *name)
{
    struct host_tun *t = NULL;
    char err[256];
    int rc = host_tun_open(&t, name, err, sizeof(err));
    if (rc != UMPTCP_OK)
        fail_msg("%s", err);
    return t;
}

/* A TUN with the kernel at 10.20.0.1/24, up. */
static struct host_tun *open_tun_with_addr(const char *name)
{
    struct host_tun *t = open_tun(name);
    assert_int_equal(host_tun_set_up(t, true), UMPTCP_OK);
    assert_int_equal(netns_sh("ip addr add %s/24 dev %s", kernel_addr, name), 0);
    return t;
}

/* ---- ICMP echo (RFC 792) as a probe the kernel always answers -------------------------- */

static size_t build_echo_request(uint8_t *buf, size_t cap, uint16_t seq)
{
    struct wire_ip_hdr ip;
    memset(&ip, 0, sizeof(ip));
    ip.version = 4;
    ip.ttl = 64;
    ip.proto = IPPROTO_ICMP_NUM;
    ip.dont_fragment = true;
    assert_int_equal(umptcp_addr_parse(&ip.src, peer_addr), UMPTCP_OK);
    assert_int_equal(umptcp_addr_parse(&ip.dst, kernel_addr), UMPTCP_OK);
    size_t icmp_len = ICMP_HDR_LEN + sizeof(echo_data);
    size_t hl = 0;
    assert_int_equal(wire_ip_write(&ip, icmp_len, buf, cap, &hl), UMPTCP_OK);
    assert_true(hl + icmp_len <= cap);
    uint8_t *icmp = buf + hl;
    memset(icmp, 0, ICMP_HDR_LEN);
    icmp[0] = ICMP_ECHO_REQUEST;
    be16_put(icmp + 4, ECHO_ID);
    be16_put(icmp + 6, seq);
    memcpy(icmp + ICMP_HDR_LEN, echo_data, sizeof(echo_data));
    be16_put(icmp + 2, wire_csum_fold(wire_csum_add(0, icmp, icmp_len)));
    return hl + icmp_len;
}

/* True when pkt is the kernel's echo reply to our request number seq. */
static bool is_echo_reply(const uint8_t *pkt, size_t len, uint16_t seq)
{
    struct wire_ip_hdr ip;
    umptcp_addr k, p;
    if (wire_ip_parse(pkt, len, &ip) != UMPTCP_OK || ip.proto != IPPROTO_ICMP_NUM)
        return false;
    if (umptcp_addr_parse(&k, kernel_addr) != UMPTCP_OK ||
        umptcp_addr_parse(&p, peer_addr) != UMPTCP_OK)
        return false;
    const uint8_t *icmp = ip.payload;
    return umptcp_addr_equal(&ip.src, &k) && umptcp_addr_equal(&ip.dst, &p) &&
           ip.payload_len == ICMP_HDR_LEN + sizeof(echo_data) && icmp[0] == ICMP_ECHO_REPLY &&
           be16_get(icmp + 4) == ECHO_ID && be16_get(icmp + 6) == seq &&
           memcmp(icmp + ICMP_HDR_LEN, echo_data, sizeof(echo_data)) == 0 &&
           wire_csum_fold(wire_csum_add(0, icmp, ip.payload_len)) == 0;
}

/* Reads the TUN (poll, bounded by `wait`) until the echo reply number seq arrives; packets
 * the kernel sends on its own (IPv6 router solicitations, MLD) are skipped. */
static bool wait_echo_reply(struct host_tun *t, uint16_t seq, uint64_t wait)
{
    static uint8_t buf[HOST_TUN_MAX_PKT];
    uint64_t deadline = host_clock_now() + wait;
    for (int rounds = 0; rounds < 1000; rounds++) {
        ssize_t n = host_tun_read(t, buf, sizeof(buf));
        if (n > 0) {
            if (is_echo_reply(buf, (size_t)n, seq))
                return true;
            continue;
        }
        assert_int_equal(n, UMPTCP_ERR_AGAIN);
        uint64_t now = host_clock_now();
        if (now >= deadline)
            return false;
        struct pollfd pfd = {.fd = host_tun_fd(t), .events = POLLIN};
        int ms = (int)((deadline - now + HOST_NS_PER_MS - 1) / HOST_NS_PER_MS);
        assert_true(poll(&pfd, 1, ms) >= 0);
    }
    return false;
}

static void send_echo(struct host_tun *t, uint16_t seq)
{
    uint8_t pkt[128];
    size_t len = build_echo_request(pkt, sizeof(pkt), seq);
    assert_int_equal(host_tun_write(t, pkt, len), UMPTCP_OK);
}

/* ---- device basics -------------------------------------------------------------------- */

static bool link_is_up(const char *name)
{
    char cmd[128], out[1024];
    snprintf(cmd, sizeof(cmd), "ip -o link show dev %s", name);
    assert_int_equal(tu_run(cmd, out, sizeof(out)), 0);
    char *flags_end = strchr(out, '>');
    assert_non_null(flags_end);
    *flags_end = '\0';
    return strstr(out, ",UP") != NULL || strstr(out, "<UP") != NULL;
}

static void test_open_query_configure(void **state)
{
    (void)state;
    struct host_tun *t = open_tun("umptcp-t0");
    assert_string_equal(host_tun_name(t), "umptcp-t0");
    assert_true(host_tun_fd(t) >= 0);
    int idx = host_tun_ifindex(t);
    assert_true(idx > 0);
    assert_int_equal((unsigned)idx, if_nametoindex("umptcp-t0"));
    assert_int_equal(host_tun_mtu(t), 1500); /* the kernel's default for a TUN */
    assert_int_equal(host_tun_set_mtu(t, 1400), UMPTCP_OK);
    assert_int_equal(host_tun_mtu(t), 1400);
    assert_int_equal(host_tun_set_mtu(t, 0), UMPTCP_ERR_INVAL);
    assert_int_equal(host_tun_set_mtu(t, 70000), UMPTCP_ERR_INVAL);
    assert_int_equal(host_tun_set_mtu(t, 20), UMPTCP_ERR_INVAL); /* kernel: below min_mtu */
    assert_int_equal(host_tun_mtu(t), 1400);

    /* Down: nothing can be queued, a read would block. */
    uint8_t buf[2048];
    assert_false(link_is_up("umptcp-t0"));
    assert_int_equal(host_tun_read(t, buf, sizeof(buf)), UMPTCP_ERR_AGAIN);
    assert_int_equal(host_tun_set_up(t, true), UMPTCP_OK);
    assert_true(link_is_up("umptcp-t0"));
    assert_int_equal(host_tun_set_up(t, false), UMPTCP_OK);
    assert_false(link_is_up("umptcp-t0"));
    assert_int_equal(host_tun_set_loss(t, HOST_DIR_RX, 1.5, 1), UMPTCP_ERR_INVAL);
    assert_int_equal(host_tun_write(t, buf, 0), UMPTCP_ERR_INVAL);

    host_tun_close(t);
    assert_int_equal(if_nametoindex("umptcp-t0"), 0); /* not persistent: gone on close */
}

static void test_kernel_chosen_name(void **state)
{
    (void)state;
    struct host_tun *a = open_tun(NULL);
    assert_int_equal(strncmp(host_tun_name(a), "tun", 3), 0);
    struct host_tun *b = open_tun("umptcp-%d");
    assert_string_equal(host_tun_name(b), "umptcp-0");
    assert_true(host_tun_ifindex(a) != host_tun_ifindex(b));
    host_tun_close(a);
    host_tun_close(b);
}

static void test_busy_device(void **state)
{
    (void)state;
    struct host_tun *t = open_tun("umptcp-busy");
    struct host_tun *again = NULL;
    char err[256];
    assert_int_equal(host_tun_open(&again, "umptcp-busy", err, sizeof(err)), UMPTCP_ERR_EXISTS);
    assert_null(again);
    assert_string_equal(err, "cannot open TUN device 'umptcp-busy': device busy (already "
                             "attached elsewhere)");
    host_tun_close(t);
    /* Free again once the first holder closed it. */
    t = open_tun("umptcp-busy");
    host_tun_close(t);
}

/* ---- packets through the device ------------------------------------------------------- */

static void test_echo_roundtrip(void **state)
{
    (void)state;
    struct host_tun *t = open_tun_with_addr("umptcp-echo");
    send_echo(t, 1);
    assert_true(wait_echo_reply(t, 1, REPLY_WAIT));
    struct host_tun_stats st;
    host_tun_get_stats(t, &st);
    assert_int_equal(st.tx_packets, 1);
    assert_int_equal(st.tx_bytes, 20 + ICMP_HDR_LEN + sizeof(echo_data));
    assert_true(st.rx_packets >= 1);
    assert_true(st.rx_bytes >= 20 + ICMP_HDR_LEN + sizeof(echo_data));
    assert_int_equal(st.tx_loss_dropped + st.rx_loss_dropped, 0);
    host_tun_close(t);
}

/* The capture holds what the stack sent (even when injected loss then dropped it) and what it
 * read, with wall-clock timestamps; tshark reads it back. */
static void test_capture_records_both_directions(void **state)
{
    (void)state;
    tu_require(tu_have_command("tshark"), "tshark");
    char path[300], cmd[512], out[4096];
    snprintf(path, sizeof(path), "%s/tun.pcap", tu_tmpdir());
    umptcp_pcap *pc = NULL;
    assert_int_equal(umptcp_pcap_open(&pc, path), UMPTCP_OK);
    struct host_tun *t = open_tun_with_addr("umptcp-cap");
    host_tun_set_pcap(t, pc);
    uint64_t before = host_clock_wall();
    send_echo(t, 7);
    assert_true(wait_echo_reply(t, 7, REPLY_WAIT));
    assert_int_equal(host_tun_set_loss(t, HOST_DIR_TX, 1.0, 1), UMPTCP_OK);
    send_echo(t, 8); /* dropped by injected loss, but the stack did send it */
    host_tun_close(t);
    umptcp_pcap_close(pc);

    snprintf(cmd, sizeof(cmd),
             "tshark -n -r '%s' -Y icmp -T fields -E separator=' ' -e frame.time_epoch "
             "-e icmp.type -e icmp.seq 2>/dev/null",
             path);
    assert_int_equal(tu_run(cmd, out, sizeof(out)), 0);
    int requests = 0, replies = 0;
    for (char *line = strtok(out, "\n"); line != NULL; line = strtok(NULL, "\n")) {
        double when;
        unsigned type, seq;
        assert_int_equal(sscanf(line, "%lf %u %u", &when, &type, &seq), 3);
        assert_true(when >= (double)before / 1e9 - 1 && when <= (double)before / 1e9 + 60);
        if (type == 8 && (seq == 7 || seq == 8))
            requests++;
        if (type == 0 && seq == 7)
            replies++;
    }
    assert_int_equal(requests, 2);
    assert_int_equal(replies, 1);
}

static void test_tx_loss_drops_before_the_kernel(void **state)
{
    (void)state;
    struct host_tun *t = open_tun_with_addr("umptcp-txloss");
    assert_int_equal(host_tun_set_loss(t, HOST_DIR_TX, 1.0, 7), UMPTCP_OK);
    send_echo(t, 2); /* "succeeds", but never reaches the kernel */
    assert_false(wait_echo_reply(t, 2, SILENCE_WAIT));
    struct host_tun_stats st;
    host_tun_get_stats(t, &st);
    assert_int_equal(st.tx_loss_dropped, 1);
    assert_int_equal(st.tx_packets, 0);
    /* Control: without loss the same probe is answered. */
    assert_int_equal(host_tun_set_loss(t, HOST_DIR_TX, 0.0, 7), UMPTCP_OK);
    send_echo(t, 3);
    assert_true(wait_echo_reply(t, 3, REPLY_WAIT));
    host_tun_close(t);
}

static void test_rx_loss_drops_after_the_kernel(void **state)
{
    (void)state;
    struct host_tun *t = open_tun_with_addr("umptcp-rxloss");
    assert_int_equal(host_tun_set_loss(t, HOST_DIR_RX, 1.0, 7), UMPTCP_OK);
    long long replies = netns_proc_counter("/proc/net/snmp", "Icmp:", "OutEchoReps");
    assert_true(replies >= 0);
    send_echo(t, 4);
    assert_false(wait_echo_reply(t, 4, SILENCE_WAIT));
    /* The kernel did answer: the reply was lost on our side. */
    assert_int_equal(netns_proc_counter("/proc/net/snmp", "Icmp:", "OutEchoReps"), replies + 1);
    struct host_tun_stats st;
    host_tun_get_stats(t, &st);
    assert_int_equal(st.tx_packets, 1);
    assert_true(st.rx_loss_dropped >= 1); /* the reply was read and dropped */
    assert_int_equal(st.rx_packets, 0);
    host_tun_close(t);
}

/* ---- permission errors ------------------------------------------------------------------ */

/* Runs host_tun_open in a child after drop() and returns its code and message. */
static int open_in_child(void (*drop)(void), char *err, size_t errlen)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        drop();
        struct host_tun *t = NULL;
        char msg[256] = "";
        int rc = host_tun_open(&t, "umptcp-perm", msg, sizeof(msg));
        host_tun_close(t);
        ssize_t w1 = write(p[1], &rc, sizeof(rc));
        ssize_t w2 = write(p[1], msg, strlen(msg) + 1);
        _exit(w1 == sizeof(rc) && w2 > 0 ? 0 : 1);
    }
    close(p[1]);
    int rc = 1;
    assert_int_equal(read(p[0], &rc, sizeof(rc)), sizeof(rc));
    ssize_t n = read(p[0], err, errlen - 1);
    assert_true(n > 0);
    err[n] = '\0';
    close(p[0]);
    int status = 0;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    return rc;
}

static void become_nobody(void)
{
    if (setgroups(0, NULL) != 0 || setgid(65534) != 0 || setuid(65534) != 0)
        _exit(2);
}

/* Stays uid 0 (so /dev/net/tun opens) but loses CAP_NET_ADMIN: TUNSETIFF says EPERM. */
static void drop_cap_net_admin(void)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof(data));
    if (syscall(SYS_capget, &hdr, data) != 0)
        _exit(3);
    data[0].effective &= ~(1u << CAP_NET_ADMIN);
    data[0].permitted &= ~(1u << CAP_NET_ADMIN);
    data[0].inheritable &= ~(1u << CAP_NET_ADMIN);
    if (syscall(SYS_capset, &hdr, data) != 0)
        _exit(4);
}

static const char perm_message[] =
    "cannot open TUN device 'umptcp-perm': operation not permitted (needs CAP_NET_ADMIN)";

static void test_open_as_nobody(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(open_in_child(become_nobody, err, sizeof(err)), UMPTCP_ERR_PERM);
    assert_string_equal(err, perm_message);
}

static void test_open_without_cap_net_admin(void **state)
{
    (void)state;
    char err[256];
    assert_int_equal(open_in_child(drop_cap_net_admin, err, sizeof(err)), UMPTCP_ERR_PERM);
    assert_string_equal(err, perm_message);
    assert_int_equal(if_nametoindex("umptcp-perm"), 0); /* nothing was created */
}

int main(void)
{
    netns_enter_private();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_query_configure),
        cmocka_unit_test(test_kernel_chosen_name),
        cmocka_unit_test(test_busy_device),
        cmocka_unit_test(test_echo_roundtrip),
        cmocka_unit_test(test_capture_records_both_directions),
        cmocka_unit_test(test_tx_loss_drops_before_the_kernel),
        cmocka_unit_test(test_rx_loss_drops_after_the_kernel),
        cmocka_unit_test(test_open_as_nobody),
        cmocka_unit_test(test_open_without_cap_net_admin),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
