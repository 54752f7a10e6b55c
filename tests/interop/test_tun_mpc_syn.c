/* Interop with the Linux kernel's MPTCP through a TUN device: a crafted MP_CAPABLE SYN goes
 * in, the kernel's SYN/ACK comes out and is checked with the project's codecs (RFC 8684 3.1).
 * Runs in a private network namespace (see netns_helper.h); needs root and iproute2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "netns_helper.h"
#include "host/clock.h"
#include "host/loop.h"
#include "host/tun.h"
#include "umptcp/addr.h"
#include "umptcp/error.h"
#include "wire/mptcp_opt.h"
#include "wire/segment.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define KERNEL_PORT 8080
#define PEER_PORT 40001
#define OUR_ISN 0x01020304u
#define OUR_TSVAL 1000u
#define REPLY_DEADLINE (3 * HOST_NS_PER_SEC)

/* One address family's setup: the kernel side of the TUN and the address we pretend to be. */
struct family_case {
    int af;
    const char *dev;
    const char *kernel_addr;
    const char *peer_addr;
    const char *kernel_prefix; /* kernel_addr with its prefix length */
    const char *addr_flags;    /* extra flags for "ip addr add" */
    uint16_t mss;
};

static const struct family_case case_v4 = {
    AF_INET, "umptcp-mpc4", "10.10.0.1", "10.10.0.2", "10.10.0.1/24", "", 1460};
/* nodad: the address is usable at once, no Duplicate Address Detection delay. */
static const struct family_case case_v6 = {AF_INET6,     "umptcp-mpc6", "fd00::1", "fd00::2",
                                           "fd00::1/64", "nodad",       1440};

/* ---- kernel side -------------------------------------------------------------------- */

static struct host_tun *open_configured_tun(const struct family_case *fc)
{
    struct host_tun *t = NULL;
    char err[256];
    int rc = host_tun_open(&t, fc->dev, err, sizeof(err));
    if (rc != UMPTCP_OK)
        fail_msg("%s", err);
    assert_int_equal(host_tun_set_up(t, true), UMPTCP_OK);
    assert_int_equal(
        netns_sh("ip addr add %s dev %s %s", fc->kernel_prefix, fc->dev, fc->addr_flags), 0);
    return t;
}

/* A kernel MPTCP listener (IPPROTO_MPTCP) on kernel_addr:KERNEL_PORT. */
static int kernel_mptcp_listen(const struct family_case *fc)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    socklen_t sl;
    if (fc->af == AF_INET) {
        struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(KERNEL_PORT);
        assert_int_equal(inet_pton(AF_INET, fc->kernel_addr, &sin->sin_addr), 1);
        sl = sizeof(*sin);
    } else {
        struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(KERNEL_PORT);
        assert_int_equal(inet_pton(AF_INET6, fc->kernel_addr, &sin6->sin6_addr), 1);
        sl = sizeof(*sin6);
    }
    int s = socket(fc->af, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_MPTCP);
    if (s < 0)
        fail_msg("socket(IPPROTO_MPTCP): %s", strerror(errno));
    int one = 1;
    assert_int_equal(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
    if (bind(s, (struct sockaddr *)&ss, sl) != 0)
        fail_msg("bind %s: %s", fc->kernel_addr, strerror(errno));
    assert_int_equal(listen(s, 8), 0);
    return s;
}

/* A counter of the namespace's MPTcpExt MIB by its /proc/net/netstat name (nstat shows it
 * prefixed: MPTcpExtMPCapableSYNRX), or -1 when absent. */
static long long mptcp_mib(const char *name)
{
    return netns_proc_counter("/proc/net/netstat", "MPTcpExt:", name);
}

/* ---- our side: crafted segments ----------------------------------------------------- */

static void sockaddr_of(umptcp_sockaddr *sa, const char *addr, uint16_t port)
{
    memset(sa, 0, sizeof(*sa));
    assert_int_equal(umptcp_addr_parse(&sa->addr, addr), UMPTCP_OK);
    sa->port = port;
}

/* RFC 8684 3.1: the SYN's MP_CAPABLE has only the header (Length 4): version 1, H = HMAC-SHA256. */
static void write_mpc_syn_option(uint8_t out[4])
{
    struct wire_mptcp_opt o;
    memset(&o, 0, sizeof(o));
    o.subtype = WIRE_MPTCP_MP_CAPABLE;
    o.u.mpc.form = WIRE_MPC_SYN;
    o.u.mpc.version = 1;
    o.u.mpc.flags = WIRE_MPC_FLAG_H;
    assert_int_equal(wire_mptcp_write(&o, out, 4), 4);
    /* kind 30, length 4, subtype 0 | version 1, flags H */
    static const uint8_t expected[4] = {30, 4, 0x01, 0x01};
    assert_memory_equal(out, expected, 4);
}

static void send_segment(struct host_tun *t, const struct family_case *fc, uint32_t seq,
                         uint8_t flags, const struct wire_tcp_options *opt)
{
    struct wire_segment_spec s;
    memset(&s, 0, sizeof(s));
    sockaddr_of(&s.src, fc->peer_addr, PEER_PORT);
    sockaddr_of(&s.dst, fc->kernel_addr, KERNEL_PORT);
    s.seq = seq;
    s.flags = flags;
    s.window = 65535;
    s.ip_id = 1;
    s.opt = opt;
    uint8_t pkt[256];
    size_t len = 0;
    assert_int_equal(wire_segment_build(&s, pkt, sizeof(pkt), &len), UMPTCP_OK);
    assert_int_equal(host_tun_write(t, pkt, len), UMPTCP_OK);
}

static void send_syn(struct host_tun *t, const struct family_case *fc, bool mp_capable)
{
    uint8_t mpc[4];
    struct wire_tcp_options o;
    memset(&o, 0, sizeof(o));
    o.present = WIRE_OPT_MSS | WIRE_OPT_SACK_PERM | WIRE_OPT_TIMESTAMP | WIRE_OPT_WSCALE;
    o.mss = fc->mss;
    o.ts_val = OUR_TSVAL;
    o.wscale = 7;
    if (mp_capable) {
        write_mpc_syn_option(mpc);
        o.mptcp_count = 1;
        o.mptcp[0] = (struct wire_opt_span){mpc, 4};
    }
    send_segment(t, fc, OUR_ISN, WIRE_TCP_SYN, &o);
}

/* ---- waiting for the kernel's answer, driven by the host event loop ------------------- */

struct reply_wait {
    struct host_loop *loop;
    struct host_tun *tun;
    umptcp_addr kernel, peer;
    uint8_t *buf;        /* HOST_TUN_MAX_PKT bytes */
    uint8_t reply[1500]; /* copy of the matching segment */
    size_t reply_len;
    int ignored; /* unrelated packets (router solicitations, MLD reports...) */
};

static bool is_reply(const struct reply_wait *w, const uint8_t *pkt, size_t len)
{
    struct wire_segment seg;
    if (wire_segment_parse(pkt, len, &seg) != UMPTCP_OK)
        return false;
    return umptcp_addr_equal(&seg.ip.src, &w->kernel) && umptcp_addr_equal(&seg.ip.dst, &w->peer) &&
           seg.tcp.sport == KERNEL_PORT && seg.tcp.dport == PEER_PORT;
}

static void on_tun_readable(void *user, int fd, uint64_t now)
{
    (void)fd;
    (void)now;
    struct reply_wait *w = user;
    for (int i = 0; i < 64; i++) { /* bounded: drain what is queued */
        ssize_t n = host_tun_read(w->tun, w->buf, HOST_TUN_MAX_PKT);
        if (n == UMPTCP_ERR_AGAIN)
            return;
        assert_true(n > 0);
        if (w->reply_len == 0 && is_reply(w, w->buf, (size_t)n) && (size_t)n <= sizeof(w->reply)) {
            memcpy(w->reply, w->buf, (size_t)n);
            w->reply_len = (size_t)n;
            host_loop_stop(w->loop);
            return;
        }
        w->ignored++;
    }
}

/* Reads the TUN through a host_loop until the kernel answers our port or the deadline
 * passes; returns the reply's length (0 = none). */
static size_t wait_for_reply(struct host_tun *t, const struct family_case *fc, struct reply_wait *w)
{
    memset(w, 0, sizeof(*w));
    w->tun = t;
    assert_int_equal(umptcp_addr_parse(&w->kernel, fc->kernel_addr), UMPTCP_OK);
    assert_int_equal(umptcp_addr_parse(&w->peer, fc->peer_addr), UMPTCP_OK);
    w->buf = malloc(HOST_TUN_MAX_PKT);
    assert_non_null(w->buf);
    assert_int_equal(host_loop_new(&w->loop), UMPTCP_OK);
    assert_int_equal(host_loop_add_fd(w->loop, host_tun_fd(t), on_tun_readable, NULL, w),
                     UMPTCP_OK);
    int rc = host_loop_run(w->loop, host_clock_now() + REPLY_DEADLINE);
    assert_true(rc == HOST_LOOP_STOPPED || rc == HOST_LOOP_DEADLINE);
    host_loop_free(w->loop);
    free(w->buf);
    w->buf = NULL;
    if (w->reply_len == 0)
        fprintf(stderr, "no reply from the kernel (%d unrelated packets)\n", w->ignored);
    return w->reply_len;
}

/* The MP_CAPABLE option of a segment, or false. */
static bool find_mp_capable(const struct wire_segment *seg, struct wire_mptcp_opt *out, int *len)
{
    for (unsigned i = 0; i < seg->opt.mptcp_count; i++) {
        int rc = wire_mptcp_parse(seg->opt.mptcp[i].data, seg->opt.mptcp[i].len, out);
        if (rc > 0 && out->subtype == WIRE_MPTCP_MP_CAPABLE) {
            *len = rc;
            return true;
        }
    }
    return false;
}

/* ---- the tests ------------------------------------------------------------------------ */

static void check_synack_common(const struct wire_segment *seg, const struct family_case *fc)
{
    assert_int_equal(seg->tcp.flags & (WIRE_TCP_SYN | WIRE_TCP_ACK | WIRE_TCP_RST | WIRE_TCP_FIN),
                     WIRE_TCP_SYN | WIRE_TCP_ACK);
    assert_int_equal(seg->tcp.ack, OUR_ISN + 1);
    assert_true(seg->opt.present & WIRE_OPT_MSS);
    assert_true(seg->opt.present & WIRE_OPT_SACK_PERM);
    assert_true(seg->opt.present & WIRE_OPT_WSCALE);
    assert_true(seg->opt.present & WIRE_OPT_TIMESTAMP);
    assert_int_equal(seg->opt.ts_ecr, OUR_TSVAL); /* RFC 7323 3.2: echoes our TSval */
    assert_int_equal(seg->ip.version, fc->af == AF_INET ? 4 : 6);
}

static void run_mpc_syn(const struct family_case *fc)
{
    assert_int_equal(netns_sysctl_write("/proc/sys/net/mptcp/enabled", "1"), 0);
    struct host_tun *t = open_configured_tun(fc);
    int ls = kernel_mptcp_listen(fc);
    long long syn_rx_before = mptcp_mib("MPCapableSYNRX");
    assert_true(syn_rx_before >= 0);

    send_syn(t, fc, true);
    struct reply_wait w;
    assert_true(wait_for_reply(t, fc, &w) > 0);

    struct wire_segment seg;
    assert_int_equal(wire_segment_parse(w.reply, w.reply_len, &seg), UMPTCP_OK);
    check_synack_common(&seg, fc);
    /* RFC 8684 3.1: the SYN/ACK carries version 1, the kernel's 64-bit key (Length 12) and
     * its choice of crypto algorithm, H = HMAC-SHA256. */
    struct wire_mptcp_opt mpc;
    int mpc_len = 0;
    assert_true(find_mp_capable(&seg, &mpc, &mpc_len));
    assert_int_equal(mpc_len, 12);
    assert_int_equal(mpc.u.mpc.form, WIRE_MPC_SYNACK);
    assert_int_equal(mpc.u.mpc.version, 1);
    assert_true(mpc.u.mpc.flags & WIRE_MPC_FLAG_H);
    assert_int_equal(mpc.u.mpc.flags & WIRE_MPC_FLAG_B, 0);
    assert_true(mpc.u.mpc.snd_key != 0);
    assert_int_equal(mptcp_mib("MPCapableSYNRX"), syn_rx_before + 1);

    /* Be polite: reset the half-open connection. */
    send_segment(t, fc, OUR_ISN + 1, WIRE_TCP_RST, NULL);
    close(ls);
    host_tun_close(t);
}

static void test_mpc_syn_v4(void **state)
{
    (void)state;
    run_mpc_syn(&case_v4);
}

static void test_mpc_syn_v6(void **state)
{
    (void)state;
    run_mpc_syn(&case_v6);
}

/* Control: without MP_CAPABLE in the SYN the kernel answers with plain TCP (RFC 8684 3.1:
 * no MP_CAPABLE in the SYN/ACK), so the checks above do depend on what we sent. */
static void test_plain_syn_gets_plain_synack(void **state)
{
    (void)state;
    struct host_tun *t = open_configured_tun(&case_v4);
    int ls = kernel_mptcp_listen(&case_v4);
    send_syn(t, &case_v4, false);
    struct reply_wait w;
    assert_true(wait_for_reply(t, &case_v4, &w) > 0);
    struct wire_segment seg;
    assert_int_equal(wire_segment_parse(w.reply, w.reply_len, &seg), UMPTCP_OK);
    check_synack_common(&seg, &case_v4);
    struct wire_mptcp_opt mpc;
    int mpc_len = 0;
    assert_false(find_mp_capable(&seg, &mpc, &mpc_len));
    send_segment(t, &case_v4, OUR_ISN + 1, WIRE_TCP_RST, NULL);
    close(ls);
    host_tun_close(t);
}

int main(void)
{
    netns_enter_private();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mpc_syn_v4),
        cmocka_unit_test(test_mpc_syn_v6),
        cmocka_unit_test(test_plain_syn_gets_plain_synack),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
