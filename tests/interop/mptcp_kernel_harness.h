/* What the MPTCP interop tests against the Linux kernel share (tests only, include after
 * cmocka.h): a kernel MPTCP peer in a child process (IPPROTO_MPTCP server or client) that
 * sends a pattern, hashes what it reads and reports its subflows (ss -ti style), the umptcp
 * side on TUN devices driven by the host runtime (struct app), byte-exact checks of both
 * directions (SHA-256), and counters of both sides (the stack's and the kernel's MPTcpExt).
 * Everything runs in the test's private network namespace (netns_helper.h). */
#ifndef UMPTCP_TESTS_MPTCP_KERNEL_HARNESS_H
#define UMPTCP_TESTS_MPTCP_KERNEL_HARNESS_H

#include "host/clock.h"
#include "host/runtime.h"
#include "netns_helper.h"
#include "testutil.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif

#define UP_BYTES (50u << 20)   /* umptcp -> kernel (issue 4: at least 50 MB each way) */
#define DOWN_BYTES (50u << 20) /* kernel -> umptcp */
#define RUN_NS (90ull * 1000000000ull)

static inline uint8_t pattern(size_t i, unsigned seed)
{
    return (uint8_t)((i * 2654435761u + seed) >> 11);
}

static inline void sha_of_pattern(size_t n, unsigned seed, char hex[65])
{
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    uint8_t buf[4096];
    for (size_t off = 0; off < n;) {
        size_t k = n - off < sizeof(buf) ? n - off : sizeof(buf);
        for (size_t i = 0; i < k; i++)
            buf[i] = pattern(off + i, seed);
        EVP_DigestUpdate(h, buf, k);
        off += k;
    }
    uint8_t md[32];
    unsigned len;
    EVP_DigestFinal_ex(h, md, &len);
    EVP_MD_CTX_free(h);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

/* ---- the kernel side (a child process) ------------------------------------------------------- */

/* The kernel's subflows of the connection on fd as `ss -ti` shows them, one line each into
 * out: "local peer bytes_sent bytes_received flags" (tcp-ulp-mptcp flags: b = backup asked by
 * the kernel, B = asked by the peer, J/j = join). */
static inline void kernel_snapshot_subflows(int fd, char *out, size_t room)
{
    size_t used = 0;
    out[0] = 0;
    /* The connection's ports: joins share the server's port, not the client's. */
    struct sockaddr_storage me, them;
    socklen_t mlen = sizeof(me), tlen = sizeof(them);
    if (getsockname(fd, (struct sockaddr *)&me, &mlen) != 0 ||
        getpeername(fd, (struct sockaddr *)&them, &tlen) != 0)
        return;
    unsigned lp = ntohs(((struct sockaddr_in *)&me)->sin_port); /* same offset in v6 */
    unsigned pp = ntohs(((struct sockaddr_in *)&them)->sin_port);
    char cmd[160];
    snprintf(cmd, sizeof(cmd),
             "ss -tinH '( sport = :%u or dport = :%u or sport = :%u or dport = :%u )'", lp, lp, pp,
             pp);
    FILE *f = popen(cmd, "r");
    if (f == NULL)
        return;
    char head[512], info[4096];
    while (fgets(head, sizeof(head), f) != NULL && fgets(info, sizeof(info), f) != NULL) {
        char state[32], local[80], peer[80];
        if (sscanf(head, "%31s %*s %*s %79s %79s", state, local, peer) != 3)
            continue;
        unsigned long long sent = 0, rcvd = 0;
        char flags[16] = "-";
        const char *v = strstr(info, "bytes_sent:");
        if (v != NULL)
            sent = strtoull(v + 11, NULL, 10);
        if ((v = strstr(info, "bytes_received:")) != NULL)
            rcvd = strtoull(v + 15, NULL, 10);
        if ((v = strstr(info, "tcp-ulp-mptcp flags:")) != NULL)
            sscanf(v + 20, "%15s", flags);
        int w = snprintf(out + used, room - used, "%s %s %llu %llu %s\n", local, peer, sent, rcvd,
                         flags);
        if (w > 0 && (size_t)w < room - used)
            used += (size_t)w;
    }
    pclose(f);
}

/* Reads to EOF (hashing), or writes n bytes of the pattern then shuts down, on fd. Reports
 * what arrived and its SHA-256, then the subflows as they were when 90% of UP_BYTES had
 * arrived: at the end the kernel may have closed its join subflows already. */
static inline void kernel_exchange(int fd, size_t send_n, unsigned seed, int report)
{
    static char subflows[2048];
    bool snapped = false;
    EVP_MD_CTX *h = EVP_MD_CTX_new();
    EVP_DigestInit_ex(h, EVP_sha256(), NULL);
    static uint8_t buf[65536];
    size_t sent = 0, got = 0;
    bool eof = false;
    while (!eof || sent < send_n) {
        fd_set rf, wf;
        FD_ZERO(&rf);
        FD_ZERO(&wf);
        if (!eof)
            FD_SET(fd, &rf);
        if (sent < send_n)
            FD_SET(fd, &wf);
        struct timeval tv = {.tv_sec = 20};
        if (select(fd + 1, &rf, &wf, NULL, &tv) <= 0)
            break;
        if (FD_ISSET(fd, &rf)) {
            ssize_t n = read(fd, buf, sizeof(buf));
            if (n <= 0)
                eof = true;
            else {
                EVP_DigestUpdate(h, buf, (size_t)n);
                got += (size_t)n;
                if (!snapped && got >= UP_BYTES / 10 * 9) {
                    snapped = true;
                    kernel_snapshot_subflows(fd, subflows, sizeof(subflows));
                }
            }
        }
        if (FD_ISSET(fd, &wf)) {
            size_t k = send_n - sent < sizeof(buf) ? send_n - sent : sizeof(buf);
            for (size_t i = 0; i < k; i++)
                buf[i] = pattern(sent + i, seed);
            ssize_t n = write(fd, buf, k);
            if (n > 0)
                sent += (size_t)n;
            if (sent == send_n)
                shutdown(fd, SHUT_WR);
        }
    }
    uint8_t md[32];
    unsigned len;
    EVP_DigestFinal_ex(h, md, &len);
    char line[128];
    int o = snprintf(line, sizeof(line), "%zu ", got);
    for (int i = 0; i < 32; i++)
        o += snprintf(line + o, sizeof(line) - (size_t)o, "%02x", md[i]);
    o += snprintf(line + o, sizeof(line) - (size_t)o, "\n");
    if (write(report, line, (size_t)o) < 0)
        _exit(3);
    EVP_MD_CTX_free(h);
    if (snapped && write(report, subflows, strlen(subflows)) < 0)
        _exit(3);
}

/* addr:port as a socket address of either family ("::" and "0.0.0.0" are the wildcards). */
static inline socklen_t kernel_sockaddr(const char *addr, uint16_t port,
                                        struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof(*ss));
    if (strchr(addr, ':') != NULL) {
        struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
        a6->sin6_family = AF_INET6;
        a6->sin6_port = htons(port);
        assert_int_equal(inet_pton(AF_INET6, addr, &a6->sin6_addr), 1);
        return sizeof(*a6);
    }
    struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
    a4->sin_family = AF_INET;
    a4->sin_port = htons(port);
    assert_int_equal(inet_pton(AF_INET, addr, &a4->sin_addr), 1);
    return sizeof(*a4);
}

static inline pid_t kernel_server_at(const char *addr, uint16_t port, int report)
{
    struct sockaddr_storage a;
    socklen_t alen = kernel_sockaddr(addr, port, &a);
    int ls = socket(a.ss_family, SOCK_STREAM, IPPROTO_MPTCP);
    assert_true(ls >= 0);
    int one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    /* A wildcard listens on every address: joins to an announced address need a listener
     * there (Linux looks one up for the MP_JOIN SYN). */
    assert_int_equal(bind(ls, (struct sockaddr *)&a, alen), 0);
    assert_int_equal(listen(ls, 1), 0);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(100);
        int fd = accept(ls, NULL, NULL);
        if (fd < 0)
            _exit(2);
        kernel_exchange(fd, DOWN_BYTES, 7, report);
        close(fd);
        _exit(0);
    }
    close(ls);
    return pid;
}

static inline pid_t kernel_client_to(const char *addr, uint16_t port, int report)
{
    struct sockaddr_storage a;
    socklen_t alen = kernel_sockaddr(addr, port, &a);
    pid_t pid = fork();
    if (pid == 0) {
        alarm(100);
        usleep(200000); /* the umptcp listener is up by then */
        int fd = socket(a.ss_family, SOCK_STREAM, IPPROTO_MPTCP);
        if (fd < 0 || connect(fd, (struct sockaddr *)&a, alen) != 0)
            _exit(2);
        kernel_exchange(fd, DOWN_BYTES, 7, report);
        close(fd);
        _exit(0);
    }
    return pid;
}

/* ---- the umptcp side --------------------------------------------------------------------------
 */

/* One kernel subflow, from the child's report (kernel_report_subflows). */
struct kernel_subflow {
    char local[80], peer[80];
    unsigned long long sent, received;
    char flags[16];
};

#define MAX_KERNEL_SUBFLOWS 8

struct app {
    struct kernel_subflow ksf[MAX_KERNEL_SUBFLOWS];
    unsigned nksf;
    const char *dev;
    struct host_runtime *rt;
    umptcp_conn *c;
    size_t sent, got;
    bool shut, eof, closed;
    int error;
    EVP_MD_CTX *h;
    /* Called once, when umptcp has read act_at bytes from the kernel (act NULL: never). */
    size_t act_at;
    void (*act)(struct app *a, uint64_t now);
    bool acted;
    /* Keep the upload open (no DATA_FIN, so new subflows stay possible) until act clears it. */
    bool hold_shutdown;
};

static inline void app_pump(struct app *a, uint64_t now)
{
    static uint8_t buf[65536];
    /* The upload's pattern bytes [stage_at, stage_at + sizeof(stage)), made once for every
     * 64 KB sent: writes that take a few KB at a time must not make 64 KB each. */
    static uint8_t stage[65536];
    static size_t stage_at = SIZE_MAX;
    while (a->c != NULL && a->sent < UP_BYTES) {
        if (stage_at == SIZE_MAX || a->sent < stage_at || a->sent >= stage_at + sizeof(stage)) {
            stage_at = a->sent;
            for (size_t i = 0; i < sizeof(stage); i++)
                stage[i] = pattern(stage_at + i, 3);
        }
        size_t k = stage_at + sizeof(stage) - a->sent;
        if (k > UP_BYTES - a->sent)
            k = UP_BYTES - a->sent;
        ssize_t n = umptcp_conn_write(a->c, stage + (a->sent - stage_at), k, now);
        if (n <= 0)
            break;
        a->sent += (size_t)n;
    }
    if (a->c != NULL && a->sent == UP_BYTES && !a->shut && !a->hold_shutdown) {
        a->shut = true;
        umptcp_conn_shutdown(a->c, now);
    }
    for (;;) {
        ssize_t n = a->c != NULL ? umptcp_conn_read(a->c, buf, sizeof(buf), now) : -1;
        if (n > 0) {
            EVP_DigestUpdate(a->h, buf, (size_t)n);
            a->got += (size_t)n;
            continue;
        }
        if (n == 0)
            a->eof = true;
        break;
    }
    if (a->act != NULL && !a->acted && a->got >= a->act_at) {
        a->acted = true;
        a->act(a, now);
    }
}

static inline void app_event(void *user, umptcp_conn *c, const umptcp_event *ev)
{
    struct app *a = user;
    uint64_t now = host_clock_now();
    if (ev->type == UMPTCP_EV_ACCEPTABLE)
        a->c = umptcp_accept(ev->listener, NULL);
    else if (ev->type == UMPTCP_EV_CLOSED && c == a->c) {
        a->closed = true;
        a->error = ev->error;
        host_runtime_stop(a->rt);
        return;
    }
    app_pump(a, now);
}

static inline void app_setup_net(struct app *a, const char *dev, const char *kernel_cidr,
                                 const char *stack_addr)
{
    memset(a, 0, sizeof(*a));
    a->dev = dev;
    char err[256];
    /* Each case starts from the kernel's defaults, whatever a failed case before it left. */
    assert_int_equal(netns_sh("ip mptcp endpoint flush"), 0);
    netns_sysctl_write("/proc/sys/net/mptcp/allow_join_initial_addr_port", "1");
    assert_int_equal(netns_tun_add(dev, kernel_cidr), 0);
    /* A short TIME_WAIT: the test waits for the connection's CLOSED event. */
    static umptcp_config sc;
    umptcp_config_init(&sc);
    sc.time_wait_ns = 500 * 1000000ull;
    struct host_runtime_config rc = {.stack = &sc, .seeded = true, .seed = 42};
    /* Debugging aid: UMPTCP_TEST_PCAP=DIR captures what crossed, one file per test. */
    static char pcap[512];
    if (getenv("UMPTCP_TEST_PCAP") != NULL) {
        snprintf(pcap, sizeof(pcap), "%s/%s.pcap", getenv("UMPTCP_TEST_PCAP"), dev);
        rc.pcap_path = pcap;
    }
    assert_int_equal(host_runtime_new(&a->rt, &rc, err, sizeof(err)), UMPTCP_OK);
    umptcp_addr addr;
    assert_int_equal(umptcp_addr_parse(&addr, stack_addr), 0);
    assert_true(host_runtime_add_tun(a->rt, dev, &addr, err, sizeof(err)) >= 0);
    umptcp_stack_set_event_cb(host_runtime_stack(a->rt), app_event, a);
    a->h = EVP_MD_CTX_new();
    EVP_DigestInit_ex(a->h, EVP_sha256(), NULL);
}

static inline uint64_t stack_mib(struct app *a, const char *name)
{
    uint64_t v = 0;
    assert_int_equal(umptcp_stack_counter(host_runtime_stack(a->rt), name, &v), 0);
    return v;
}

/* The subflow lines after the first line of the child's report. */
static inline void app_parse_subflows(struct app *a, char *report)
{
    char *save = NULL;
    a->nksf = 0;
    for (char *l = strtok_r(report, "\n", &save); l != NULL; l = strtok_r(NULL, "\n", &save)) {
        struct kernel_subflow *k = &a->ksf[a->nksf];
        if (a->nksf < MAX_KERNEL_SUBFLOWS &&
            sscanf(l, "%79s %79s %llu %llu %15s", k->local, k->peer, &k->sent, &k->received,
                   k->flags) == 5) {
            print_message("  kernel subflow %s -> %s: %llu B sent, %llu B received, flags %s\n",
                          k->local, k->peer, k->sent, k->received, k->flags);
            a->nksf++;
        }
    }
}

/* Is this kernel subflow a backup one (asked by either side)? */
static inline bool kernel_subflow_backup(const struct kernel_subflow *k)
{
    return strpbrk(k->flags, "bB") != NULL;
}

/* At least n kernel subflows, and every one not marked backup carried data both ways and at
 * least 1% of both streams together: each direction's share depends on its scheduler (our
 * minimum-RTT one favours the quickest subflow; one direction of a subflow may see only a few
 * hundred KB on a loaded machine while the other carries tens of MB). */
static inline void check_kernel_subflows_carry(const struct app *a, unsigned n)
{
    assert_true(a->nksf >= n);
    for (unsigned i = 0; i < a->nksf; i++) {
        if (kernel_subflow_backup(&a->ksf[i]))
            continue;
        assert_true(a->ksf[i].received > 0);
        assert_true(a->ksf[i].sent > 0);
        assert_true(a->ksf[i].received + a->ksf[i].sent > (UP_BYTES + DOWN_BYTES) / 100);
    }
}

static inline void app_close(struct app *a)
{
    umptcp_conn_close(a->c, host_clock_now());
    EVP_MD_CTX_free(a->h);
}

/* Runs until the connection closed; then checks both directions byte for byte (SHA-256). */
static inline void app_transfer_check(struct app *a, pid_t child, int report_rd, int report_wr)
{
    close(report_wr); /* so a child that dies early ends the read below */
    host_runtime_run(a->rt, host_clock_now() + RUN_NS);
    char report[4096] = {0};
    size_t have = 0;
    for (ssize_t n; have < sizeof(report) - 1 &&
                    (n = read(report_rd, report + have, sizeof(report) - 1 - have)) > 0;)
        have += (size_t)n;
    int status = 0;
    waitpid(child, &status, 0);
    assert_true(have > 0);
    size_t kernel_got = 0;
    char kernel_sha[65] = {0};
    assert_int_equal(sscanf(report, "%zu %64s", &kernel_got, kernel_sha), 2);
    app_parse_subflows(a, report);
    char want_up[65], want_down[65], got_down[65];
    sha_of_pattern(UP_BYTES, 3, want_up);
    sha_of_pattern(DOWN_BYTES, 7, want_down);
    uint8_t md[32];
    unsigned len;
    EVP_DigestFinal_ex(a->h, md, &len);
    for (int i = 0; i < 32; i++)
        snprintf(got_down + 2 * i, 3, "%02x", md[i]);
    print_message("  umptcp->kernel %zu bytes, kernel->umptcp %zu bytes, %s, error %d\n",
                  kernel_got, a->got, a->closed ? "closed" : "not closed", a->error);
    /* Debugging aid: with UMPTCP_TEST_PCAP set, the kernel's MPTcpExt counters too. */
    if (getenv("UMPTCP_TEST_PCAP") != NULL)
        netns_sh("nstat -as | grep -E 'MPTcpExt' >&2");
    assert_int_equal(kernel_got, UP_BYTES);
    assert_string_equal(kernel_sha, want_up);
    assert_int_equal(a->got, DOWN_BYTES);
    assert_string_equal(got_down, want_down);
    assert_true(a->eof);
    assert_true(a->closed);
    assert_int_equal(a->error, 0);
}

/* Runs until the connection closed; checks both directions byte for byte and that the
 * connection stayed MPTCP; closes. */
static inline void app_finish(struct app *a, pid_t child, int report_rd, int report_wr)
{
    app_transfer_check(a, child, report_rd, report_wr);
    assert_int_equal(stack_mib(a, "MPTcpExtFallback"), 0);
    app_close(a);
}

/* The device is persistent (ip tuntap add): delete it so the next test's subnet routes to
 * its own device. */
static inline void app_teardown(struct app *a)
{
    host_runtime_free(a->rt);
    assert_int_equal(netns_sh("ip link del dev %s", a->dev), 0);
}

static inline long long kernel_mib(const char *name)
{
    return netns_proc_counter("/proc/net/netstat", "MPTcpExt", name);
}

static inline void check_kernel_clean(void)
{
    assert_int_equal(kernel_mib("MPCapableFallbackACK"), 0);
    assert_int_equal(kernel_mib("MPCapableFallbackSYNACK"), 0);
    assert_int_equal(kernel_mib("DataCsumErr"), 0);
    assert_int_equal(kernel_mib("DSSNotMatching"), 0);
    assert_int_equal(kernel_mib("InfiniteMapRx"), 0);
    /* Data beyond the data-level window the kernel announced is dropped there (3.3.4). */
    assert_int_equal(kernel_mib("NoDSSInWindow"), 0);
}

/* A second TUN device of the test: kernel side kernel_cidr, stack side stack_addr. */
static inline void app_add_path(struct app *a, const char *dev, const char *kernel_cidr,
                                const char *stack_addr)
{
    char err[256];
    assert_int_equal(netns_tun_add(dev, kernel_cidr), 0);
    umptcp_addr addr;
    assert_int_equal(umptcp_addr_parse(&addr, stack_addr), 0);
    assert_true(host_runtime_add_tun(a->rt, dev, &addr, err, sizeof(err)) >= 0);
}

/* umptcp opens the connection to the kernel at addr:port with these options. */
static inline void app_connect_opts(struct app *a, const char *addr, uint16_t port,
                                    const umptcp_conn_opts *o)
{
    umptcp_sockaddr to = {.port = port};
    assert_int_equal(umptcp_addr_parse(&to.addr, addr), 0);
    assert_int_equal(umptcp_connect(host_runtime_stack(a->rt), &to, o, host_clock_now(), &a->c),
                     UMPTCP_OK);
}

/* umptcp opens the MPTCP connection to the kernel at addr:port. */
static inline void app_connect(struct app *a, const char *addr, uint16_t port)
{
    umptcp_conn_opts o = {.mptcp = true};
    app_connect_opts(a, addr, port, &o);
}

/* umptcp listens on port, every address of the stack, with these options. */
static inline void app_listen_opts(struct app *a, uint16_t port, const umptcp_conn_opts *o)
{
    umptcp_listener *l = NULL;
    umptcp_sockaddr any = {.port = port};
    assert_int_equal(umptcp_listen(host_runtime_stack(a->rt), &any, o, &l), UMPTCP_OK);
}

/* umptcp listens for MPTCP on port, every address of the stack. */
static inline void app_listen(struct app *a, uint16_t port)
{
    umptcp_conn_opts o = {.mptcp = true};
    app_listen_opts(a, port, &o);
}

/* main() of a kernel interop test: a private namespace with the kernel's MPTCP on, then the
 * cases (with UMPTCP_TEST_ONLY=NAME only that one, a debugging aid). */
static inline int kernel_tests_run(const struct CMUnitTest *tests, size_t n)
{
    netns_enter_private();
    tu_require(netns_sysctl_write("/proc/sys/net/mptcp/enabled", "1") == 0, "kernel MPTCP");
    signal(SIGPIPE, SIG_IGN);
    const char *only = getenv("UMPTCP_TEST_ONLY");
    if (only == NULL)
        return _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        if (strcmp(tests[i].name, only) == 0)
            return _cmocka_run_group_tests("one", &tests[i], 1, NULL, NULL);
    return 1;
}
#define KERNEL_TESTS_RUN(tests) kernel_tests_run(tests, sizeof(tests) / sizeof((tests)[0]))

#endif
