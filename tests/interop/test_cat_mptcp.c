/* `umptcp cat` in MPTCP mode (the default) against the Linux kernel's MPTCP (IPPROTO_MPTCP
 * sockets of this test) over two TUN paths, in both roles:
 *
 *  - cat client on two --tun devices -> kernel server: cat joins from its second address;
 *  - kernel client with a `subflow` endpoint on its second address -> cat server on two --tun
 *    devices, which announces its second address;
 *
 * each 50 MB both ways at once, byte-exact (SHA-256 of both streams), exit 0; every subflow
 * carries data (cat's --stats file per subflow, and the kernel's per-subflow TCP counters,
 * getsockopt MPTCP_TCPINFO / MPTCP_SUBFLOW_ADDRS: what `ss -tiM` shows); the kernel's nstat
 * MPTcpExt counters show the MP_CAPABLE handshake and the joins, and no HMAC failure, DSS
 * checksum or mapping error, nothing out of the data-level window, no fallback. And:
 *
 *  - `--no-mptcp` against a kernel MPTCP listener is plain TCP (the kernel's socket falls
 *    back, no MP_CAPABLE anywhere);
 *  - `--backup DEV`: the join from DEV says B=1 and carries (almost) no data while the first
 *    path works;
 *  - `--checksum`: DSS checksums on both ends, none failing; `--max-subflows 1`: no join;
 *  - the kernel closes with SO_LINGER 0 (MP_FASTCLOSE): cat reports the reset, exits 1.
 *
 * Runs in a private network namespace (netns_helper.h), gone with the process. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "netns_helper.h"
#include "cat_harness.h"

#include <linux/mptcp.h>

#define MB (1024ull * 1024ull)
#define BIG (50 * MB)
#define SMALL (20 * MB)
#define XFER_TIMEOUT_MS 60000
/* A subflow carries data when it moved at least 1% of the bytes of both streams (total each
 * way), the two directions together: the schedulers of both ends put each stream where they
 * see the lowest RTT, so on paths of unlimited rate one direction may leave a subflow almost
 * idle while the other fills it. A subflow that only takes part with its handshake and ACKs
 * moves a few kB. */
#define CARRIES(total) (2 * (total) / 100)
/* The one subflow of a connection carried both streams whole. */
#define CARRIES_ALL(total) (2 * (total))

/* ---- the kernel's counters -------------------------------------------------------------- */

static long long kernel_mib(const char *name)
{
    return netns_proc_counter("/proc/net/netstat", "MPTcpExt", name);
}

/* The MPTcpExt counters a case looks at, before and after. */
static const char *const kernel_counters[] = {
    "MPCapableSYNRX",
    "MPCapableSYNACKRX",
    "MPCapableACKRX",
    "MPCapableFallbackACK",
    "MPCapableFallbackSYNACK",
    "MPFallbackTokenInit",
    "MPJoinSynRx",
    "MPJoinNoTokenFound",
    "MPJoinSynAckRx",
    "MPJoinAckRx",
    "MPJoinSynAckHMacFailure",
    "MPJoinAckHMacFailure",
    "DSSNotMatching",
    "DSSNoMatchTCP",
    "DSSCorruptionFallback",
    "DSSCorruptionReset",
    "InfiniteMapRx",
    "DataCsumErr",
    "NoDSSInWindow",
    "AddAddr",
    "EchoAdd",
    "MPFastcloseTx",
    "MPJoinSynBackupRx",
    "MPJoinSynAckBackupRx",
};
#define NCOUNTERS (sizeof(kernel_counters) / sizeof(kernel_counters[0]))

struct kmib {
    long long v[NCOUNTERS];
};

static void kmib_read(struct kmib *m)
{
    for (size_t i = 0; i < NCOUNTERS; i++)
        m->v[i] = kernel_mib(kernel_counters[i]);
}

/* How much a counter grew; -1 when this kernel does not have it. */
static long long kmib_delta(const struct kmib *before, const char *name)
{
    for (size_t i = 0; i < NCOUNTERS; i++)
        if (strcmp(kernel_counters[i], name) == 0)
            return before->v[i] < 0 ? -1 : kernel_mib(name) - before->v[i];
    fail_msg("counter %s is not in the list", name);
    return -1;
}

static void kmib_print(const struct kmib *before)
{
    print_message("  kernel MPTcpExt:");
    for (size_t i = 0; i < NCOUNTERS; i++) {
        long long d = kmib_delta(before, kernel_counters[i]);
        if (d > 0)
            print_message(" %s +%lld", kernel_counters[i], d);
    }
    print_message("\n");
}

/* The errors no case may show: HMAC failures, DSS checksum and mapping errors, data outside
 * the data-level window, fallback. Absent counters (older kernels) count as 0. */
static void kmib_check_clean(const struct kmib *before)
{
    static const char *const must_stay[] = {
        "MPCapableFallbackACK",
        "MPCapableFallbackSYNACK",
        "MPJoinSynAckHMacFailure",
        "MPJoinNoTokenFound",
        "MPJoinAckHMacFailure",
        "DSSNotMatching",
        "DSSNoMatchTCP",
        "DSSCorruptionFallback",
        "DSSCorruptionReset",
        "InfiniteMapRx",
        "DataCsumErr",
        "NoDSSInWindow",
    };
    for (size_t i = 0; i < sizeof(must_stay) / sizeof(must_stay[0]); i++)
        if (kmib_delta(before, must_stay[i]) > 0)
            fail_msg("kernel MPTcpExt%s grew by %lld", must_stay[i],
                     kmib_delta(before, must_stay[i]));
}

/* ---- the kernel's subflows (MPTCP_TCPINFO / MPTCP_SUBFLOW_ADDRS: `ss -tiM`) ------------- */

#define KSF_MAX 8

struct ksubflows {
    uint64_t next_ms;
    size_t n;
    struct {
        struct sockaddr_in local, remote;
        uint64_t bytes_acked, bytes_received; /* the last sample */
    } sf[KSF_MAX];
};

/* One getsockopt of SOL_MPTCP returning an array of per-subflow records of elem bytes. */
static int ksf_get(int fd, int opt, void *buf, size_t elem, size_t max)
{
    struct mptcp_subflow_data *d = buf;
    memset(buf, 0, sizeof(*d) + elem * max);
    d->size_subflow_data = sizeof(*d);
    d->size_user = (uint32_t)elem;
    socklen_t l = (socklen_t)(sizeof(*d) + elem * max);
    if (getsockopt(fd, SOL_MPTCP, opt, buf, &l) != 0)
        return -1;
    return (int)(d->num_subflows < max ? d->num_subflows : max);
}

/* The entry of the subflow with these addresses in *i (a new one for a new subflow); false
 * when the table is full. */
static bool ksf_find(struct ksubflows *k, const struct sockaddr_in *local,
                     const struct sockaddr_in *remote, size_t *i)
{
    for (*i = 0; *i < k->n; (*i)++)
        if (k->sf[*i].local.sin_addr.s_addr == local->sin_addr.s_addr &&
            k->sf[*i].local.sin_port == local->sin_port &&
            k->sf[*i].remote.sin_addr.s_addr == remote->sin_addr.s_addr &&
            k->sf[*i].remote.sin_port == remote->sin_port)
            return true;
    if (k->n == KSF_MAX)
        return false;
    *i = k->n++;
    k->sf[*i].local = *local;
    k->sf[*i].remote = *remote;
    return true;
}

/* The transfer's tick: every 50 ms, the kernel's subflows and their byte counts (a subflow
 * that closes keeps its last sample). */
static void ksf_sample(int fd, void *user)
{
    struct ksubflows *k = user;
    uint64_t now = ch_now_ms();
    if (now < k->next_ms)
        return;
    k->next_ms = now + 50;
    static uint8_t ti_buf[sizeof(struct mptcp_subflow_data) + KSF_MAX * sizeof(struct tcp_info)];
    static uint8_t
        ad_buf[sizeof(struct mptcp_subflow_data) + KSF_MAX * sizeof(struct mptcp_subflow_addrs)];
    int nt = ksf_get(fd, MPTCP_TCPINFO, ti_buf, sizeof(struct tcp_info), KSF_MAX);
    int na = ksf_get(fd, MPTCP_SUBFLOW_ADDRS, ad_buf, sizeof(struct mptcp_subflow_addrs), KSF_MAX);
    if (nt <= 0 || na != nt)
        return; /* a subflow came or went between the two calls: next time */
    const struct tcp_info *ti =
        (const struct tcp_info *)(ti_buf + sizeof(struct mptcp_subflow_data));
    const struct mptcp_subflow_addrs *ad =
        (const struct mptcp_subflow_addrs *)(ad_buf + sizeof(struct mptcp_subflow_data));
    for (int j = 0; j < nt; j++) {
        size_t i;
        if (ad[j].sin_local.sin_family != AF_INET ||
            !ksf_find(k, &ad[j].sin_local, &ad[j].sin_remote, &i))
            continue;
        k->sf[i].bytes_acked = ti[j].tcpi_bytes_acked;
        k->sf[i].bytes_received = ti[j].tcpi_bytes_received;
    }
}

static void ksf_print(const struct ksubflows *k)
{
    for (size_t i = 0; i < k->n; i++) {
        char l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];
        inet_ntop(AF_INET, &k->sf[i].local.sin_addr, l, sizeof(l));
        inet_ntop(AF_INET, &k->sf[i].remote.sin_addr, r, sizeof(r));
        print_message("  kernel subflow %s:%u -> %s:%u: bytes_acked %llu bytes_received %llu\n", l,
                      ntohs(k->sf[i].local.sin_port), r, ntohs(k->sf[i].remote.sin_port),
                      (unsigned long long)k->sf[i].bytes_acked,
                      (unsigned long long)k->sf[i].bytes_received);
    }
}

/* Subflows the kernel saw that carried at least `min` bytes, both directions together. */
static size_t ksf_carrying(const struct ksubflows *k, uint64_t min)
{
    size_t n = 0;
    for (size_t i = 0; i < k->n; i++)
        if (k->sf[i].bytes_acked + k->sf[i].bytes_received >= min)
            n++;
    return n;
}

/* ---- cat's --stats file --------------------------------------------------------------- */

/* The stats file from its connection on (searches there find the connection's members). */
static const char *stats_conn(const char *json)
{
    return strstr(json, "\"connections\": [");
}

/* The n-th subflow object of the stats file, as a pointer into json (its opening), or NULL. */
static const char *stats_subflow(const char *json, int n)
{
    const char *p = strstr(json, "\"subflows\": [");
    for (int i = 0; p != NULL && i <= n; i++)
        p = strstr(p + 1, "\"interface\": ");
    return p;
}

/* The number after "key": within the subflow at p (before the next subflow). */
static long long stats_sf_number(const char *p, const char *key)
{
    const char *next = strstr(p + 1, "\"interface\": ");
    long long v = ch_json_number(p, key);
    char pat[64];
    snprintf(pat, sizeof(pat), "\"%s\": ", key);
    const char *at = strstr(p, pat);
    if (next != NULL && at != NULL && at > next)
        return -1;
    return v;
}

static bool stats_sf_has(const char *p, const char *text)
{
    const char *next = strstr(p + 1, "\"interface\": ");
    const char *at = strstr(p, text);
    return at != NULL && (next == NULL || at < next);
}

/* Prints the subflows of the stats file; returns how many carried at least min bytes, both
 * directions together. */
static int stats_subflows_carrying(const char *json, uint64_t min, int *count)
{
    int carrying = 0;
    *count = 0;
    for (const char *p; (p = stats_subflow(json, *count)) != NULL; (*count)++) {
        long long sent = stats_sf_number(p, "bytes_sent");
        long long recv = stats_sf_number(p, "bytes_received");
        int name_len = (int)strcspn(p + 14, "\"");
        print_message("  cat subflow %d on %.*s: ids %lld/%lld, sent %lld, received %lld, "
                      "retrans %lld, srtt %lld us%s%s\n",
                      *count, name_len, p + 14, stats_sf_number(p, "local_id"),
                      stats_sf_number(p, "remote_id"), sent, recv,
                      stats_sf_number(p, "retrans_segs"), stats_sf_number(p, "srtt_us"),
                      stats_sf_has(p, "\"backup\": true") ? " backup" : "",
                      stats_sf_has(p, "\"peer_backup\": true") ? " peer-backup" : "");
        if (sent + recv >= (long long)min)
            carrying++;
    }
    return carrying;
}

static long long stats_counter(const char *json, const char *name)
{
    return ch_json_number(json, name);
}

/* ---- the cases ------------------------------------------------------------------------ */

#define DEV0 "umcm0"
#define DEV1 "umcm1"
#define K0 "10.71.0.1"
#define K1 "10.72.0.1"
#define C0 "10.71.0.2"
#define C1 "10.72.0.2"

static char stats_path[320];

static void stats_name(uint16_t port)
{
    snprintf(stats_path, sizeof(stats_path), "%s/stats-mptcp-%u.json", tu_tmpdir(), port);
}

/* What every clean MPTCP transfer shows: exit 0, both streams whole, the kernel's data level
 * acknowledged and received everything, cat's stats say MPTCP with matching tokens. */
static char *check_clean_mptcp(struct ch_transfer *t, const char *first_iface)
{
    print_message("  %llu MB each way in %.2f s; cat: %s", (unsigned long long)(t->bytes / MB),
                  t->seconds, t->cat_err);
    if (t->status != 0)
        fail_msg("cat exited %d: %s", t->status, t->cat_err);
    assert_true(t->kernel_got_all);
    assert_true(t->cat_got_all);
    assert_true(t->mi_len >= 80); /* Linux >= 6.x: the data-level byte counters */
    assert_int_equal(t->mi.flags & CH_MPTCP_INFO_FLAG_FALLBACK, 0);
    assert_true(t->mi.bytes_acked >= t->bytes && t->mi.bytes_acked <= t->bytes + 1);
    assert_true(t->mi.bytes_received >= t->bytes && t->mi.bytes_received <= t->bytes + 1);
    assert_null(strstr(t->cat_err, "ERROR")); /* no sanitizer report */
    assert_null(strstr(t->cat_err, "runtime error"));
    assert_non_null(strstr(t->cat_err, ", MPTCP, token "));

    ch_check_stats(stats_path, t, first_iface);
    char *json = ch_read_file(stats_path);
    assert_non_null(json);
    const char *conn = stats_conn(json);
    assert_non_null(conn);
    assert_non_null(strstr(conn, "\"mptcp\": true,"));
    assert_non_null(strstr(conn, "\"fallback\": null,"));
    assert_true(ch_json_number(conn, "local_token") > 0);
    /* The kernel's token is the one cat knows as the peer's. */
    assert_int_equal(ch_json_number(conn, "remote_token"), (long long)t->mi.token);
    assert_int_equal(stats_counter(json, "MPTcpExtMPJoinAckHMacFailure"), 0);
    assert_int_equal(stats_counter(json, "MPTcpExtMPJoinSynAckHMacFailure"), 0);
    assert_int_equal(stats_counter(json, "MPTcpExtDataCsumErr"), 0);
    assert_int_equal(stats_counter(json, "MPTcpExtDSSNoMatchTCP"), 0);
    assert_int_equal(stats_counter(json, "MPTcpExtFallback"), 0);
    assert_int_equal(stats_counter(json, "MPTcpExtMPJoinNoTokenFound"), 0);
    return json;
}

static struct ch_transfer transfer(bool server, uint16_t port, uint64_t bytes,
                                   const char *const *extra, struct ksubflows *k)
{
    stats_name(port);
    struct ch_transfer t = {.server = server,
                            .tun = DEV0 "=" C0,
                            .kernel_addr = K0,
                            .cat_addr = C0,
                            .port = port,
                            .bytes = bytes,
                            .extra = extra,
                            .stats = stats_path,
                            .timeout_ms = XFER_TIMEOUT_MS,
                            .mptcp = true,
                            .kernel_proto = IPPROTO_MPTCP,
                            .kernel_tick = ksf_sample,
                            .tick_user = k};
    return t;
}

/* cat connects from two --tun devices; the kernel server accepts the join from the second. */
static void test_cat_client_two_paths(void **state)
{
    (void)state;
    struct kmib before;
    kmib_read(&before);
    struct ksubflows k = {0};
    static const char *const extra[] = {"--tun", DEV1 "=" C1, NULL};
    struct ch_transfer t = transfer(false, 7401, BIG, extra, &k);
    assert_true(ch_transfer_run(&t));
    kmib_print(&before);
    ksf_print(&k);
    char *json = check_clean_mptcp(&t, DEV0);
    int nsub = 0;
    assert_int_equal(stats_subflows_carrying(json, CARRIES(BIG), &nsub), 2);
    assert_int_equal(nsub, 2);
    assert_non_null(strstr(json, "\"interface\": \"" DEV1 "\""));
    assert_int_equal(stats_counter(json, "MPTcpExtMPJoinSynAckRx"), 1);
    assert_int_equal(ksf_carrying(&k, CARRIES(BIG)), 2);
    assert_int_equal(kmib_delta(&before, "MPCapableSYNRX"), 1);
    assert_int_equal(kmib_delta(&before, "MPCapableACKRX"), 1);
    assert_int_equal(kmib_delta(&before, "MPJoinSynRx"), 1);
    assert_int_equal(kmib_delta(&before, "MPJoinAckRx"), 1);
    kmib_check_clean(&before);
    free(json);
}

/* The kernel client has a `subflow` endpoint on its second address and joins from it; cat
 * serves on two --tun devices and announces its second address, which the kernel accepts. */
static void test_kernel_client_subflow_endpoint(void **state)
{
    (void)state;
    assert_int_equal(netns_sh("ip mptcp endpoint add " K1 " dev " DEV1 " subflow"), 0);
    struct kmib before;
    kmib_read(&before);
    struct ksubflows k = {0};
    static const char *const extra[] = {"--tun", DEV1 "=" C1, NULL};
    struct ch_transfer t = transfer(true, 7402, BIG, extra, &k);
    bool ran = ch_transfer_run(&t);
    assert_int_equal(netns_sh("ip mptcp endpoint flush"), 0);
    assert_true(ran);
    kmib_print(&before);
    ksf_print(&k);
    char *json = check_clean_mptcp(&t, DEV0);
    int nsub = 0;
    int carrying = stats_subflows_carrying(json, CARRIES(BIG), &nsub);
    assert_true(nsub >= 2);
    assert_true(carrying >= 2);
    assert_true(ksf_carrying(&k, CARRIES(BIG)) >= 2);
    /* cat announced 10.72.0.2 (the kernel echoed it) and took the kernel's joins. */
    assert_true(stats_counter(json, "MPTcpExtAddAddrTx") >= 1);
    assert_int_equal(stats_counter(json, "MPTcpExtEchoAdd"), 1);
    assert_int_equal(kmib_delta(&before, "AddAddr"), 1);
    assert_true(stats_counter(json, "MPTcpExtMPJoinSynRx") >= 1);
    assert_int_equal(stats_counter(json, "MPTcpExtMPJoinAckRx"),
                     stats_counter(json, "MPTcpExtMPJoinSynRx"));
    assert_int_equal(kmib_delta(&before, "MPCapableSYNACKRX"), 1);
    assert_true(kmib_delta(&before, "MPJoinSynAckRx") >= 1);
    kmib_check_clean(&before);
    free(json);
}

/* --no-mptcp against a kernel MPTCP listener: plain TCP on both sides. */
static void test_no_mptcp_against_mptcp_listener(void **state)
{
    (void)state;
    struct kmib before;
    kmib_read(&before);
    struct ksubflows k = {0};
    struct ch_transfer t = transfer(false, 7403, SMALL, NULL, &k);
    t.mptcp = false;
    assert_true(ch_transfer_run(&t));
    ch_check_clean(&t);
    /* The kernel's MPTCP socket fell back to TCP at once (no MP_CAPABLE came): it answers
     * TCP_INFO for its one TCP connection and no longer MPTCP_INFO. */
    assert_true(t.mi_len < 0);
    assert_int_equal(kmib_delta(&before, "MPCapableSYNRX"), 0);
    assert_non_null(strstr(t.cat_err, ", plain TCP, "));
    ch_check_stats(stats_path, &t, DEV0);
    char *json = ch_read_file(stats_path);
    assert_non_null(json);
    const char *conn = stats_conn(json);
    assert_non_null(strstr(conn, "\"mptcp\": false,"));
    assert_non_null(strstr(conn, "\"fallback\": null,")); /* MPTCP was not asked for */
    assert_int_equal(stats_counter(json, "MPTcpExtMPCapableSYNACKRX"), 0);
    int nsub = 0;
    assert_int_equal(stats_subflows_carrying(json, CARRIES_ALL(SMALL), &nsub), 1);
    assert_int_equal(nsub, 1);
    free(json);
}

/* --backup on the second device: the join says B=1; while the first path works the backup
 * subflow carries (almost) nothing, in either direction. */
static void test_backup_device(void **state)
{
    (void)state;
    struct kmib before;
    kmib_read(&before);
    struct ksubflows k = {0};
    static const char *const extra[] = {"--tun", DEV1 "=" C1, "--backup", DEV1, NULL};
    struct ch_transfer t = transfer(false, 7404, SMALL, extra, &k);
    assert_true(ch_transfer_run(&t));
    kmib_print(&before);
    ksf_print(&k);
    char *json = check_clean_mptcp(&t, DEV0);
    int nsub = 0;
    assert_int_equal(stats_subflows_carrying(json, CARRIES(SMALL), &nsub), 1);
    assert_int_equal(nsub, 2);
    const char *backup = stats_subflow(json, 1);
    assert_non_null(backup);
    assert_true(stats_sf_has(backup, "\"interface\": \"" DEV1 "\""));
    assert_true(stats_sf_has(backup, "\"join\": true"));
    assert_true(stats_sf_has(backup, "\"backup\": true"));
    /* Handshakes, ACKs, maybe a window probe: far below 1% of a stream. */
    assert_true(stats_sf_number(backup, "bytes_sent") < (long long)(SMALL / 100));
    assert_true(stats_sf_number(backup, "bytes_received") < (long long)(SMALL / 100));
    assert_int_equal(kmib_delta(&before, "MPJoinSynRx"), 1);
    /* Kernels that count backup joins saw this one. */
    long long backup_joins = kmib_delta(&before, "MPJoinSynBackupRx");
    assert_true(backup_joins == -1 || backup_joins == 1);
    assert_int_equal(ksf_carrying(&k, CARRIES(SMALL)), 1);
    kmib_check_clean(&before);
    free(json);
}

/* --checksum: both ends use DSS checksums (RFC 8684 3.3.1) and none fails. */
static void test_checksum(void **state)
{
    (void)state;
    struct kmib before;
    kmib_read(&before);
    struct ksubflows k = {0};
    static const char *const extra[] = {"--tun", DEV1 "=" C1, "--checksum", NULL};
    struct ch_transfer t = transfer(false, 7406, SMALL, extra, &k);
    assert_true(ch_transfer_run(&t));
    kmib_print(&before);
    char *json = check_clean_mptcp(&t, DEV0);
    assert_int_equal(t.mi.csum_enabled, 1);
    assert_non_null(strstr(stats_conn(json), "\"checksum\": true,"));
    assert_non_null(strstr(t.cat_err, ", checksums, "));
    int nsub = 0;
    assert_int_equal(stats_subflows_carrying(json, CARRIES(SMALL), &nsub), 2);
    kmib_check_clean(&before);
    free(json);
}

/* --max-subflows 1: two --tun devices, but no join. */
static void test_max_subflows_one(void **state)
{
    (void)state;
    struct kmib before;
    kmib_read(&before);
    struct ksubflows k = {0};
    static const char *const extra[] = {"--tun", DEV1 "=" C1, "--max-subflows", "1", NULL};
    struct ch_transfer t = transfer(false, 7407, SMALL, extra, &k);
    assert_true(ch_transfer_run(&t));
    char *json = check_clean_mptcp(&t, DEV0);
    int nsub = 0;
    assert_int_equal(stats_subflows_carrying(json, CARRIES_ALL(SMALL), &nsub), 1);
    assert_int_equal(nsub, 1);
    assert_int_equal(ch_json_number(stats_conn(json), "max_subflows"), 1);
    assert_int_equal(kmib_delta(&before, "MPJoinSynRx"), 0);
    kmib_check_clean(&before);
    free(json);
}

/* A kernel MPTCP server that reads about 1 MB and then closes with SO_LINGER 0: the kernel
 * aborts the MPTCP connection with MP_FASTCLOSE (RFC 8684 3.5). */
static void test_kernel_fastclose(void **state)
{
    (void)state;
    struct kmib before;
    kmib_read(&before);
    stats_name(7405);
    int lfd = ch_kernel_listen_proto(K0, 7405, IPPROTO_MPTCP);
    const char *args[] = {"--tun",    DEV0 "=" C0, "--tun", DEV1 "=" C1, "--stats",
                          stats_path, K0,          "7405",  NULL};
    struct ch_cat c;
    ch_cat_spawn(&c, NULL, NULL, args);
    int ks = ch_kernel_accept(lfd, &c, 5000);
    close(lfd);
    assert_true(ks >= 0);
    struct ch_sender *in = malloc(sizeof(*in));
    assert_non_null(in);
    ch_sender_init(in, 1, 64 * MB);
    uint64_t got = 0, end = ch_now_ms() + 10000;
    uint8_t buf[CH_CHUNK];
    while (got < MB && ch_now_ms() < end) {
        if (c.in_fd >= 0)
            ch_sender_pump(in, c.in_fd, false);
        ssize_t n = recv(ks, buf, sizeof(buf), 0);
        if (n > 0)
            got += (uint64_t)n;
        else
            usleep(1000);
    }
    assert_true(got >= MB);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    assert_int_equal(setsockopt(ks, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
    close(ks);
    /* cat's stdin stays open: it must end because of the reset, not at the end of input. */
    ch_cat_wait_err(&c, "connection reset by peer", 10000);
    int status = ch_cat_wait(&c, 10000);
    kmib_print(&before);
    print_message("  cat exited %d: %s", status, c.err);
    assert_int_equal(status, 1);
    assert_true(ch_one_line_error(&c, "umptcp cat: " K0 ":7405: connection reset by peer"));
    assert_true(kmib_delta(&before, "MPFastcloseTx") >= 1);
    char *json = ch_read_file(stats_path);
    assert_non_null(json);
    assert_int_equal(ch_json_number(json, "exit_status"), 1);
    assert_int_equal(stats_counter(json, "MPTcpExtMPFastcloseRx"), 1);
    assert_non_null(strstr(json, "\"error\": \"" K0 ":7405: connection reset by peer\""));
    free(json);
    ch_hash_final(&in->hash, (char[65]){0});
    free(in);
}

static int setup_devices(void **state)
{
    (void)state;
    if (netns_tun_add(DEV0, K0 "/24") != 0 || netns_tun_add(DEV1, K1 "/24") != 0 ||
        netns_sh("ip mptcp limits set subflows 8 add_addr_accepted 8") != 0)
        return -1;
    return 0;
}

int main(void)
{
    netns_enter_private();
    tu_require(getenv("UMPTCP_BIN") != NULL, "UMPTCP_BIN (the umptcp binary)");
    tu_require(netns_sysctl_write("/proc/sys/net/mptcp/enabled", "1") == 0, "kernel MPTCP");
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cat_client_two_paths),
        cmocka_unit_test(test_kernel_client_subflow_endpoint),
        cmocka_unit_test(test_no_mptcp_against_mptcp_listener),
        cmocka_unit_test(test_backup_device),
        cmocka_unit_test(test_checksum),
        cmocka_unit_test(test_max_subflows_one),
        cmocka_unit_test(test_kernel_fastclose),
    };
    /* Debugging aid: UMPTCP_TEST_ONLY=NAME runs one case. */
    const char *only = getenv("UMPTCP_TEST_ONLY");
    for (size_t i = 0; only != NULL && i < sizeof(tests) / sizeof(tests[0]); i++)
        if (strcmp(tests[i].name, only) == 0)
            return _cmocka_run_group_tests("one", &tests[i], 1, setup_devices, NULL);
    if (only != NULL)
        return 1;
    return cmocka_run_group_tests(tests, setup_devices, NULL);
}
