/* MPTCP through middleboxes in the simulator (RFC 8684 3.7): one path, 50 MiB client -> server
 * and 10 MiB back at the same time, every byte checked at its offset and SHA-256 of all:
 *   strip_synack     MPTCP options removed from the SYN/ACK: both sides fall back at the
 *                    handshake;
 *   strip_after      options pass the handshake (SYN, SYN/ACK, third ACK) and are removed from
 *                    every later segment both ways: both fall back after it;
 *   rewrite_payload  checksums on; a middlebox rewrites payload bytes of a few data segments
 *                    early in the transfer (fixing the TCP checksum): the receiver sends
 *                    MP_FAIL, the sender falls back with an infinite mapping and sends the data
 *                    again; not one rewritten byte reaches the application.
 * Options: --filter PATTERN, --verbose (as test_mptcp_transfer). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scenario/scenario_mb.h"
#include "sim_mptcp.h"
#include "testutil.h"
#include "umptcp/error.h"
#include "wire/mptcp_opt.h"
#include "wire/segment.h"
#include "wire/tcp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000ull
#define SEC 1000000000ull
#define MIB (1024ull * 1024ull)
#define MBIT 1000000ull

static bool verbose;

enum mb_mode { MB_STRIP_SYNACK, MB_STRIP_AFTER, MB_REWRITE };

/* One middlebox per direction of the path. */
struct mb {
    enum mb_mode mode;
    bool client_side;                     /* it sees the client's packets (the forward direction) */
    unsigned nonsyn;                      /* segments without SYN seen */
    unsigned data_segs;                   /* data segments seen */
    unsigned rewrite_from, rewrite_count; /* MB_REWRITE: data segments [from, from + count) */
    unsigned stripped, rewritten;
    uint8_t payload[65536];
};

static bool mb_strip(struct mb *mb, const struct wire_segment *seg)
{
    bool syn = seg->tcp.flags & WIRE_TCP_SYN;
    if (!syn)
        mb->nonsyn++;
    if (seg->opt.mptcp_count == 0)
        return false;
    if (mb->mode == MB_STRIP_SYNACK)
        return syn && (seg->tcp.flags & WIRE_TCP_ACK);
    if (mb->mode == MB_STRIP_AFTER) /* the client's first non-SYN segment is the third ACK */
        return !syn && (!mb->client_side || mb->nonsyn > 1);
    return false;
}

static bool mb_rewrite(struct mb *mb, const struct wire_segment *seg)
{
    if (mb->mode != MB_REWRITE || seg->tcp.payload_len == 0)
        return false;
    mb->data_segs++;
    return mb->data_segs >= mb->rewrite_from &&
           mb->data_segs < mb->rewrite_from + mb->rewrite_count;
}

static struct sim_verdict mb_fn(void *user, struct sim_mb_packet *p)
{
    struct mb *mb = user;
    struct wire_segment seg;
    if (wire_segment_parse(p->data, p->len, &seg) != 0)
        return sim_verdict_pass();
    bool strip = mb_strip(mb, &seg);
    bool rewrite = mb_rewrite(mb, &seg);
    if (!strip && !rewrite)
        return sim_verdict_pass();
    if (strip)
        mb->stripped++;
    if (rewrite)
        mb->rewritten++;
    return scn_mb_rebuild(p, &seg, strip, rewrite, mb->payload, sizeof(mb->payload));
}

static struct sm_result *run(const char *name, struct sm_config *cfg)
{
    struct sm_result *res = sm_result_new();
    assert_non_null(res);
    enum st_failure f = sm_run(cfg, res);
    printf("%-16s %-9s c2s %6.2f Mbit/s s2c %6.2f Mbit/s done %7.3f s, events %llu, wall "
           "%.2f s\n",
           name, st_failure_name(f), res->st.c2s.goodput_bps / 1e6, res->st.s2c.goodput_bps / 1e6,
           (double)res->st.done_ns / 1e9, (unsigned long long)res->st.events, res->st.wall_seconds);
    if (f != ST_OK || verbose)
        sm_result_print(cfg, res, stdout);
    fflush(stdout);
    return res;
}

/* One 50 Mbit/s, 20 ms RTT path with a middlebox each way; 50 MiB up, 10 MiB down. */
static void one_path(struct sm_config *cfg, struct mb *fwd, struct mb *rev, bool csum)
{
    sm_config_init(cfg, 1, 0);
    cfg->st.seed = 7;
    cfg->st.bytes_c2s = 50 * MIB;
    cfg->st.bytes_s2c = 10 * MIB;
    cfg->st.time_limit_ns = 120 * SEC;
    st_path_symmetric(&cfg->st, 0, 50 * MBIT, 10 * MS, 0);
    cfg->st.client.mptcp_checksum = csum;
    fwd->client_side = true;
    cfg->st.paths[0].fwd.middlebox = mb_fn;
    cfg->st.paths[0].fwd.middlebox_user = fwd;
    cfg->st.paths[0].rev.middlebox = mb_fn;
    cfg->st.paths[0].rev.middlebox_user = rev;
}

/* Byte-exact both ways, orderly close. */
static void check_exact(const struct sm_config *cfg, const struct sm_result *res)
{
    const struct st_result *r = &res->st;
    assert_int_equal(r->failure, ST_OK);
    assert_true(r->c2s.complete);
    assert_true(r->s2c.complete);
    assert_int_equal(r->c2s.bytes_received, cfg->st.bytes_c2s);
    assert_int_equal(r->s2c.bytes_received, cfg->st.bytes_s2c);
    assert_string_equal(r->c2s.sha_sent, r->c2s.sha_received);
    assert_string_equal(r->s2c.sha_sent, r->s2c.sha_received);
    assert_int_equal(r->c2s.mismatch_offset, UINT64_MAX);
    assert_int_equal(r->s2c.mismatch_offset, UINT64_MAX);
    assert_int_equal(r->client.error, 0);
    assert_int_equal(r->server.error, 0);
}

static struct mb *mb_new(enum mb_mode mode)
{
    struct mb *mb = calloc(1, sizeof(*mb));
    assert_non_null(mb);
    mb->mode = mode;
    return mb;
}

static void test_strip_synack(void **state)
{
    (void)state;
    struct mb *fwd = mb_new(MB_STRIP_SYNACK), *rev = mb_new(MB_STRIP_SYNACK);
    struct sm_config cfg;
    one_path(&cfg, fwd, rev, false);
    struct sm_result *res = run("strip_synack", &cfg);
    check_exact(&cfg, res);
    const struct st_result *r = &res->st;
    assert_int_equal(rev->stripped, 1);
    assert_int_equal(fwd->stripped, 0);
    assert_int_equal(st_client_counter(r, "MPTcpExtMPCapableFallbackSYNACK"), 1);
    assert_int_equal(st_server_counter(r, "MPTcpExtMPCapableFallbackACK"), 1);
    assert_int_equal(st_client_counter(r, "MPTcpExtFallback"), 1);
    assert_int_equal(st_server_counter(r, "MPTcpExtFallback"), 1);
    assert_int_equal(st_client_counter(r, "MPTcpExtInfiniteMapTx"), 0);
    free(res);
    free(fwd);
    free(rev);
}

static void test_strip_after(void **state)
{
    (void)state;
    struct mb *fwd = mb_new(MB_STRIP_AFTER), *rev = mb_new(MB_STRIP_AFTER);
    struct sm_config cfg;
    one_path(&cfg, fwd, rev, false);
    struct sm_result *res = run("strip_after", &cfg);
    check_exact(&cfg, res);
    const struct st_result *r = &res->st;
    printf("    stripped: %u client segments, %u server segments\n", fwd->stripped, rev->stripped);
    assert_true(fwd->stripped > 0 && rev->stripped > 0);
    /* The handshake was MPTCP ... */
    assert_int_equal(st_client_counter(r, "MPTcpExtMPCapableSYNACKRX"), 1);
    assert_int_equal(st_server_counter(r, "MPTcpExtMPCapableACKRX"), 1);
    /* ... and each side fell back after it on its own evidence. */
    assert_int_equal(st_client_counter(r, "MPTcpExtFallback"), 1);
    assert_int_equal(st_server_counter(r, "MPTcpExtFallback"), 1);
    assert_int_equal(st_client_counter(r, "MPTcpExtMPCapableDataFallback") +
                         st_client_counter(r, "MPTcpExtDssFallback"),
                     1);
    assert_int_equal(st_server_counter(r, "MPTcpExtMPCapableDataFallback") +
                         st_server_counter(r, "MPTcpExtDssFallback"),
                     1);
    assert_int_equal(st_client_counter(r, "MPTcpExtFallbackFailed"), 0);
    assert_int_equal(st_server_counter(r, "MPTcpExtFallbackFailed"), 0);
    free(res);
    free(fwd);
    free(rev);
}

static void test_rewrite_payload(void **state)
{
    (void)state;
    struct mb *fwd = mb_new(MB_REWRITE), *rev = mb_new(MB_REWRITE);
    fwd->rewrite_from = 300; /* a few segments early in the transfer, client -> server */
    fwd->rewrite_count = 3;
    struct sm_config cfg;
    one_path(&cfg, fwd, rev, true);
    struct sm_result *res = run("rewrite_payload", &cfg);
    check_exact(&cfg, res);
    const struct st_result *r = &res->st;
    printf("    rewritten: %u segments; server DataCsumErr %llu MPFailTx %llu, client MPFailRx "
           "%llu InfiniteMapTx %llu\n",
           fwd->rewritten, (unsigned long long)st_server_counter(r, "MPTcpExtDataCsumErr"),
           (unsigned long long)st_server_counter(r, "MPTcpExtMPFailTx"),
           (unsigned long long)st_client_counter(r, "MPTcpExtMPFailRx"),
           (unsigned long long)st_client_counter(r, "MPTcpExtInfiniteMapTx"));
    assert_true(fwd->rewritten >= 1);
    /* The first damaged mapping is caught; the connection is plain TCP after it. */
    assert_int_equal(st_server_counter(r, "MPTcpExtDataCsumErr"), 1);
    assert_int_equal(st_server_counter(r, "MPTcpExtMPFailTx"), 1);
    assert_int_equal(st_client_counter(r, "MPTcpExtMPFailRx"), 1);
    assert_int_equal(st_client_counter(r, "MPTcpExtInfiniteMapTx"), 1);
    assert_int_equal(st_server_counter(r, "MPTcpExtInfiniteMapRx"), 1);
    assert_int_equal(st_client_counter(r, "MPTcpExtFallback"), 1);
    assert_int_equal(st_server_counter(r, "MPTcpExtFallback"), 1);
    assert_int_equal(st_client_counter(r, "MPTcpExtDataCsumErr"), 0);
    free(res);
    free(fwd);
    free(rev);
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            filter = argv[++i];
        else if (strcmp(argv[i], "--verbose") == 0)
            verbose = true;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strip_synack),
        cmocka_unit_test(test_strip_after),
        cmocka_unit_test(test_rewrite_payload),
    };
    if (filter != NULL)
        cmocka_set_test_filter(filter);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
