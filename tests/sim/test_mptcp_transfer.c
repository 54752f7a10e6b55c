/* MPTCP bulk transfers between two umptcp stacks in the simulator (issue 4's simulator
 * scenarios): a client with two paths (its access networks) to a server, each transfer at
 * least 50 MiB and byte-exact (each byte checked at its offset, SHA-256 of everything), with
 * both paths carrying data where they should:
 *   two_paths_lossy  50 Mbit/s 20 ms RTT + 20 Mbit/s 40 ms RTT, 1% loss and reordering both
 *                    ways: the aggregate beats a single-path run over the faster path;
 *   path_cut         the first path (the initial subflow's) dies for good mid-transfer;
 *   path_outage      the second path goes down for 2 s and comes back, and carries data again;
 *   add_addr_lost    the server's first two ADD_ADDRs are dropped: repeated, echoed, joined;
 *   ipv6             two clean IPv6 paths: the aggregate beats the faster path's capacity;
 *   remove_addr_*    the client removes the address of the initial subflow, or the server the
 *                    address it announced, mid-transfer (REMOVE_ADDR): the rest goes on the
 *                    other path.
 *
 * Options: --pcap-dir DIR (or UMPTCP_PCAP_DIR=DIR) writes DIR/<test>-client.pcap and
 * -server.pcap; --filter PATTERN runs only matching tests; --verbose prints every report.
 * Every scenario prints its figures (per-subflow bytes and goodput, completion time,
 * retransmissions, MPTcpExt counters). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "sim_mptcp.h"
#include "testutil.h"
#include "umptcp/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MS 1000000ull
#define SEC 1000000000ull
#define MIB (1024ull * 1024ull)
#define MBIT 1000000ull
#define BULK (50 * MIB)

static const char *pcap_dir;
static bool verbose;

/* Runs cfg, prints the figures (the whole report when it failed or with --verbose), and
 * returns a heap result the caller frees. */
static struct sm_result *run(const char *name, struct sm_config *cfg)
{
    char pc[512], ps[512];
    if (pcap_dir != NULL) {
        snprintf(pc, sizeof(pc), "%s/%s-client.pcap", pcap_dir, name);
        snprintf(ps, sizeof(ps), "%s/%s-server.pcap", pcap_dir, name);
        cfg->st.pcap_client = pc;
        cfg->st.pcap_server = ps;
    }
    struct sm_result *res = sm_result_new();
    assert_non_null(res);
    enum st_failure f = sm_run(cfg, res);
    printf("%-16s %-9s c2s %6.2f Mbit/s done %7.3f s, %zu subflows, reinjected %llu, "
           "retrans %llu, events %llu, wall %.2f s\n",
           name, st_failure_name(f), res->st.c2s.goodput_bps / 1e6, (double)res->st.done_ns / 1e9,
           res->nsub, (unsigned long long)st_client_counter(&res->st, "MPTcpExtReinject"),
           (unsigned long long)st_client_counter(&res->st, "TcpRetransSegs"),
           (unsigned long long)res->st.events, res->st.wall_seconds);
    if (f != ST_OK || verbose)
        sm_result_print(cfg, res, stdout);
    else
        for (size_t i = 0; i < res->nsub; i++)
            printf("    subflow %zu path %zu %s: %llu B new, %llu B again, %llu of %llu segments "
                   "short, data %.3f-%.3f s\n",
                   i, res->sub[i].path, res->sub[i].join ? "join" : "initial",
                   (unsigned long long)res->sub[i].c2s.new_bytes,
                   (unsigned long long)res->sub[i].c2s.retrans_bytes,
                   (unsigned long long)res->sub[i].c2s.short_segs,
                   (unsigned long long)res->sub[i].c2s.data_segs,
                   (double)res->sub[i].c2s.first_data_ns / 1e9,
                   (double)res->sub[i].c2s.last_data_ns / 1e9);
    fflush(stdout);
    return res;
}

/* Byte-exact, orderly, and MPTCP on both sides (no fallback). */
static void check_common(const struct sm_config *cfg, const struct sm_result *res)
{
    const struct st_result *r = &res->st;
    assert_int_equal(r->failure, ST_OK);
    assert_true(r->c2s.complete);
    assert_int_equal(r->c2s.bytes_received, cfg->st.bytes_c2s);
    assert_string_equal(r->c2s.sha_sent, r->c2s.sha_received);
    if (cfg->st.bytes_s2c > 0) {
        assert_true(r->s2c.complete);
        assert_string_equal(r->s2c.sha_sent, r->s2c.sha_received);
    }
    assert_int_equal(r->client.error, 0);
    assert_int_equal(r->server.error, 0);
    assert_int_equal(st_client_counter(r, "MPTcpExtFallback"), 0);
    assert_int_equal(st_server_counter(r, "MPTcpExtFallback"), 0);
    assert_int_equal(st_client_counter(r, "MPTcpExtMPJoinSynAckHMacFailure"), 0);
    assert_int_equal(st_server_counter(r, "MPTcpExtMPJoinAckHMacFailure"), 0);
    assert_int_equal(st_server_counter(r, "MPTcpExtDSSNoMatchTCP"), 0);
    assert_true(res->nsub >= 2);
    /* The harness's own accounts: every byte left the client as new subflow payload at least
     * once, exactly once unless ranges were reinjected on another subflow. */
    uint64_t sum = 0;
    for (size_t i = 0; i < res->nsub; i++)
        sum += res->sub[i].c2s.new_bytes;
    assert_true(sum >= cfg->st.bytes_c2s);
    if (st_client_counter(r, "MPTcpExtReinject") == 0)
        assert_int_equal(sum, cfg->st.bytes_c2s);
    assert_int_equal(res->untracked_segs, 0);
    /* Data goes to a subflow in whole segments: a chunk cut at the congestion window's
     * remainder became a mapping of its own and a small segment (about half of them once). */
    for (size_t i = 0; i < res->nsub; i++)
        assert_true(res->sub[i].c2s.short_segs * 100 <= res->sub[i].c2s.data_segs + 100);
}

static void two_paths(struct sm_config *cfg, uint64_t seed)
{
    sm_config_init(cfg, 2, 1);
    cfg->st.seed = seed;
    cfg->st.bytes_c2s = BULK;
    cfg->st.time_limit_ns = 300 * SEC;
    /* About one BDP of queue on each path. */
    st_path_symmetric(&cfg->st, 0, 50 * MBIT, 10 * MS, 128 * 1024);
    st_path_symmetric(&cfg->st, 1, 20 * MBIT, 20 * MS, 100 * 1024);
}

/* 1% loss and 1% of packets held back 3 ms, both ways, on both paths. */
static void impair(struct sm_config *cfg, size_t path)
{
    for (int d = 0; d < 2; d++) {
        struct st_dir_config *dir = d ? &cfg->st.paths[path].rev : &cfg->st.paths[path].fwd;
        dir->loss = 0.01;
        dir->reorder = 0.01;
        dir->reorder_delay_ns = 3 * MS;
    }
}

/* ---- (a) two lossy, reordering paths ---------------------------------------------------- */

static void test_two_paths_lossy(void **state)
{
    (void)state;
    struct sm_config cfg;
    two_paths(&cfg, 11);
    impair(&cfg, 0);
    impair(&cfg, 1);
    struct sm_result *res = run("two_paths_lossy", &cfg);
    /* The faster path alone, same impairments and seed, one MPTCP subflow. */
    struct sm_config one = cfg;
    one.st.npaths = 1;
    struct sm_result *single = run("faster_path_only", &one);
    struct sm_result r = *res, s = *single;
    free(res);
    free(single);
    check_common(&cfg, &r);
    assert_int_equal(s.st.failure, ST_OK);
    assert_int_equal(r.st.fwd[0].reordered > 0 && r.st.fwd[1].reordered > 0, 1);
    assert_true(r.st.fwd[0].drop_loss > 0 && r.st.fwd[1].drop_loss > 0);
    /* Both paths carry a fair part of the data. */
    assert_true(sm_path_bytes(&r, 0, ST_DIR_FWD, SIZE_MAX) > BULK / 10);
    assert_true(sm_path_bytes(&r, 1, ST_DIR_FWD, SIZE_MAX) > BULK / 10);
    printf("    aggregate %.2f Mbit/s vs faster path alone %.2f Mbit/s (x%.2f)\n",
           r.st.c2s.goodput_bps / 1e6, s.st.c2s.goodput_bps / 1e6,
           r.st.c2s.goodput_bps / s.st.c2s.goodput_bps);
    assert_true(r.st.c2s.goodput_bps > 1.1 * s.st.c2s.goodput_bps);
}

/* ---- a slow path with a deep queue --------------------------------------------------------- */

/* The second path is slow (10 Mbit/s), long (200 ms RTT) and bloated (2 MiB of queue): what
 * the scheduler puts there waits seconds, while the data level cannot move past it (the send
 * buffer fills with data the fast path already delivered). Opportunistic reinjection of the
 * head of line on the fast path, with the slow subflow's window cut, keeps the aggregate above
 * the fast path alone. Regression: 35.9 Mbit/s against 45.6 on the fast path alone. */
static void test_slow_bloated_path(void **state)
{
    (void)state;
    struct sm_config cfg;
    two_paths(&cfg, 19);
    st_path_symmetric(&cfg.st, 1, 10 * MBIT, 100 * MS, 2 * MIB);
    struct sm_result *res = run("slow_bloated_path", &cfg);
    struct sm_config one = cfg;
    one.st.npaths = 1;
    struct sm_result *single = run("fast_path_only", &one);
    struct sm_result r = *res, s = *single;
    free(res);
    free(single);
    check_common(&cfg, &r);
    assert_int_equal(s.st.failure, ST_OK);
    printf("    aggregate %.2f Mbit/s vs fast path alone %.2f Mbit/s (x%.2f); slow path %llu B\n",
           r.st.c2s.goodput_bps / 1e6, s.st.c2s.goodput_bps / 1e6,
           r.st.c2s.goodput_bps / s.st.c2s.goodput_bps,
           (unsigned long long)sm_path_bytes(&r, 1, ST_DIR_FWD, SIZE_MAX));
    assert_true(sm_path_bytes(&r, 1, ST_DIR_FWD, SIZE_MAX) > 0);
    assert_true(st_client_counter(&r.st, "MPTcpExtReinject") > 0);
    assert_true(r.st.c2s.goodput_bps > 1.05 * s.st.c2s.goodput_bps);
}

/* ---- (b) a path cut for good ------------------------------------------------------------ */

static void test_path_cut(void **state)
{
    (void)state;
    struct sm_config cfg;
    two_paths(&cfg, 12);
    /* The first path (the initial subflow's) dies both ways at 2 s, never to return. */
    st_add_timed(&cfg.st, 2 * SEC, ST_ACT_LINK_DOWN, 0, ST_DIR_BOTH, 0, 0);
    cfg.marks[0] = 2 * SEC;
    cfg.nmarks = 1;
    struct sm_result *res = run("path_cut", &cfg);
    struct sm_result r = *res;
    free(res);
    check_common(&cfg, &r);
    assert_true(r.st.fwd[0].drop_down > 0);
    assert_true(sm_path_bytes(&r, 0, ST_DIR_FWD, 0) > 0);
    assert_true(sm_path_bytes(&r, 1, ST_DIR_FWD, 0) > 0);
    /* Nothing new after the cut but what the scheduler placed before two RTOs told. */
    assert_true(sm_path_bytes(&r, 0, ST_DIR_FWD, 1) < BULK / 100);
    assert_true(sm_path_bytes(&r, 1, ST_DIR_FWD, 1) > BULK / 2);
    /* What the dead path held was sent again on the other (3.3.6). */
    assert_true(st_client_counter(&r.st, "MPTcpExtReinject") > 0);
}

/* Both ways at once (50 MiB each), the initial subflow's path cut for good at 2 s: each side
 * reinjects what it had on the dead path, both DATA_FINs go through on the other path, and both
 * sides close in order. */
static void test_both_ways_cut(void **state)
{
    (void)state;
    struct sm_config cfg;
    two_paths(&cfg, 17);
    cfg.st.bytes_s2c = BULK;
    st_add_timed(&cfg.st, 2 * SEC, ST_ACT_LINK_DOWN, 0, ST_DIR_BOTH, 0, 0);
    cfg.marks[0] = 2 * SEC;
    cfg.nmarks = 1;
    struct sm_result *res = run("both_ways_cut", &cfg);
    struct sm_result r = *res;
    free(res);
    check_common(&cfg, &r);
    printf("    s2c %.2f Mbit/s, server reinjected %llu\n", r.st.s2c.goodput_bps / 1e6,
           (unsigned long long)st_server_counter(&r.st, "MPTcpExtReinject"));
    assert_int_equal(r.st.s2c.bytes_received, BULK);
    for (int d = 0; d < 2; d++) {
        enum st_dir dir = d ? ST_DIR_REV : ST_DIR_FWD;
        assert_true(sm_path_bytes(&r, 0, dir, 0) > 0);
        assert_true(sm_path_bytes(&r, 0, dir, 1) < BULK / 100);
        assert_true(sm_path_bytes(&r, 1, dir, 1) > BULK / 2);
    }
    assert_true(st_client_counter(&r.st, "MPTcpExtReinject") > 0);
    assert_true(st_server_counter(&r.st, "MPTcpExtReinject") > 0);
}

/* A path cut in the last moments of a transfer, when the DATA_FIN is mapped and some subflows
 * have sent everything they were given: its data must still go again on the other path, and
 * the connection must end in order. 8 MiB, the first path cut both ways or only client ->
 * server (its ACKs still arrive) at several times in the last 0.1 s (the transfer alone ends
 * at 1.21 s). Regressions: the subflows were shut down (FIN) as soon as the DATA_FIN was
 * mapped, so the data of a path cut then had no subflow left to go on (the transfer never
 * ended); a subflow reset by the data level from inside the processing of its own segment
 * (the DATA_ACK that completed the connection) kept a timer due at once, which the simulator
 * then ran forever. */
static void test_cut_near_end(void **state)
{
    (void)state;
    unsigned runs = 0, reinjected = 0;
    for (uint64_t at = 1100 * MS; at <= 1200 * MS; at += 50 * MS) {
        for (int d = 0; d < 2; d++) {
            struct sm_config cfg;
            two_paths(&cfg, 20);
            cfg.st.bytes_c2s = 8 * MIB;
            cfg.st.time_limit_ns = 60 * SEC;
            cfg.st.max_events = 5000000;
            cfg.dump_on_failure = true;
            st_add_timed(&cfg.st, at, ST_ACT_LINK_DOWN, 0, d ? ST_DIR_FWD : ST_DIR_BOTH, 0, 0);
            struct sm_result *res = sm_result_new();
            assert_non_null(res);
            enum st_failure f = sm_run(&cfg, res);
            printf("    cut at %.3f s (%s): %s, done %.3f s, reinjected %llu\n", (double)at / 1e9,
                   d ? "c->s" : "both", st_failure_name(f), (double)res->st.done_ns / 1e9,
                   (unsigned long long)st_client_counter(&res->st, "MPTcpExtReinject"));
            if (f != ST_OK)
                sm_result_print(&cfg, res, stdout);
            struct sm_result r = *res;
            free(res);
            check_common(&cfg, &r);
            runs++;
            reinjected += st_client_counter(&r.st, "MPTcpExtReinject") > 0;
        }
    }
    printf("    %u runs, %u with reinjection\n", runs, reinjected);
    assert_true(reinjected > 0);
}

/* ---- (c) a path that goes down and comes back -------------------------------------------- */

static void test_path_outage(void **state)
{
    (void)state;
    struct sm_config cfg;
    two_paths(&cfg, 13);
    st_add_timed(&cfg.st, 1 * SEC, ST_ACT_LINK_DOWN, 1, ST_DIR_BOTH, 0, 0);
    st_add_timed(&cfg.st, 3 * SEC, ST_ACT_LINK_UP, 1, ST_DIR_BOTH, 0, 0);
    cfg.marks[0] = 1 * SEC;
    cfg.marks[1] = 3 * SEC;
    cfg.nmarks = 2;
    struct sm_result *res = run("path_outage", &cfg);
    struct sm_result r = *res;
    free(res);
    check_common(&cfg, &r);
    assert_true(r.st.fwd[1].drop_down > 0);
    for (size_t path = 0; path < 2; path++)
        assert_true(sm_path_bytes(&r, path, ST_DIR_FWD, 0) > 0);
    /* The other path goes on at its pace meanwhile (11.3 MB in the 2 s; it stalled after
     * 1.5 MB when a subflow could keep only 1024 mappings not yet DATA_ACKed), and what the
     * dead path held is reinjected there. */
    assert_true(sm_path_bytes(&r, 0, ST_DIR_FWD, 1) > BULK / 10);
    assert_true(st_client_counter(&r.st, "MPTcpExtReinject") > 0);
    /* The path that came back carries data again, a fair part of what was left. */
    assert_true(sm_path_bytes(&r, 1, ST_DIR_FWD, 2) > BULK / 10);
}

/* ---- (d) the server's ADD_ADDR lost ------------------------------------------------------- */

static void test_add_addr_lost(void **state)
{
    (void)state;
    struct sm_config cfg;
    two_paths(&cfg, 14);
    cfg.st.server_addrs = 2; /* the server announces its second address */
    /* One middlebox state on the way back of both paths: a repeat may ride on any subflow's
     * pure ACK (a data-level window update goes on the lowest-RTT subflow). */
    struct sm_drop_add_addr mb = {.drop = 2};
    for (size_t p = 0; p < 2; p++) {
        cfg.st.paths[p].rev.middlebox = sm_mb_drop_add_addr;
        cfg.st.paths[p].rev.middlebox_user = &mb;
    }
    struct sm_result *res = run("add_addr_lost", &cfg);
    struct sm_result r = *res;
    free(res);
    check_common(&cfg, &r);
    printf("    ADD_ADDR: %u seen by the middlebox, %u dropped; server sent %llu, client echoed "
           "%llu\n",
           mb.seen, mb.dropped, (unsigned long long)r.add_addr_sent[1],
           (unsigned long long)r.add_addr_echo_sent[0]);
    assert_int_equal(mb.dropped, 2);
    assert_true(r.add_addr_sent[1] >= 3); /* repeated until echoed (3.4.1) */
    assert_int_equal(st_server_counter(&r.st, "MPTcpExtAddAddrTx"), r.add_addr_sent[1]);
    /* The third one got through and was echoed at once: no further repeats. */
    assert_int_equal(r.add_addr_sent[1], 3);
    assert_int_equal(st_client_counter(&r.st, "MPTcpExtAddAddr"), 1);
    assert_int_equal(r.add_addr_echo_sent[0], 1);
    assert_int_equal(st_server_counter(&r.st, "MPTcpExtEchoAdd"), 1);
    /* The client joined the announced address from both of its addresses, and data went
     * there. */
    umptcp_addr announced;
    assert_int_equal(umptcp_addr_parse(&announced, "10.2.2.1"), 0);
    unsigned joins = 0;
    uint64_t bytes = 0;
    for (size_t i = 0; i < r.nsub; i++) {
        if (!umptcp_addr_equal(&r.sub[i].server.addr, &announced))
            continue;
        joins += r.sub[i].join;
        bytes += r.sub[i].c2s.new_bytes;
    }
    assert_int_equal(joins, 2);
    assert_true(bytes > BULK / 10);
}

/* ---- REMOVE_ADDR mid-transfer (RFC 8684 3.4.2) ------------------------------------------ */

/* New bytes the client sent to server address `server` in phase `phase`. */
static uint64_t bytes_to_server(const struct sm_result *r, const char *server, size_t phase)
{
    umptcp_addr a;
    assert_int_equal(umptcp_addr_parse(&a, server), 0);
    uint64_t n = 0;
    for (size_t i = 0; i < r->nsub; i++)
        if (umptcp_addr_equal(&r->sub[i].server.addr, &a))
            n += r->sub[i].c2s.phase_bytes[phase];
    return n;
}

/* At 2 s the client's address of path 0, the initial subflow's, goes away: the client resets
 * that subflow (its data goes again on the other, 3.3.6) and tells the server with
 * REMOVE_ADDR (ID 0, the initial subflow's address, 3.4.2); the connection lives on over the
 * join on path 1. */
static void test_remove_addr_client(void **state)
{
    (void)state;
    struct sm_config cfg;
    two_paths(&cfg, 21);
    st_add_timed(&cfg.st, 2 * SEC, ST_ACT_REMOVE_ADDR, 0, ST_DIR_FWD, 0, 0);
    cfg.marks[0] = 2 * SEC + 100 * MS; /* what was in flight at 2 s is through by then */
    cfg.nmarks = 1;
    struct sm_result *res = run("remove_addr_client", &cfg);
    struct sm_result r = *res;
    free(res);
    check_common(&cfg, &r);
    assert_true(st_client_counter(&r.st, "MPTcpExtRmAddrTx") >= 1);
    assert_int_equal(st_server_counter(&r.st, "MPTcpExtRmAddr"), 1);
    assert_true(sm_path_bytes(&r, 0, ST_DIR_FWD, 0) > 0);
    assert_int_equal(sm_path_bytes(&r, 0, ST_DIR_FWD, 1), 0);
    assert_true(sm_path_bytes(&r, 1, ST_DIR_FWD, 1) > BULK / 2);
}

/* The server announces its second address, the client joins it from both of its addresses;
 * at 3 s the server removes that address: REMOVE_ADDR, the client closes its subflows to it
 * and the rest goes to the first address. */
static void test_remove_addr_server(void **state)
{
    (void)state;
    struct sm_config cfg;
    two_paths(&cfg, 22);
    cfg.st.server_addrs = 2;
    st_add_timed(&cfg.st, 3 * SEC, ST_ACT_REMOVE_ADDR, 1, ST_DIR_REV, 0, 0);
    cfg.marks[0] = 3 * SEC + 100 * MS;
    cfg.nmarks = 1;
    struct sm_result *res = run("remove_addr_server", &cfg);
    struct sm_result r = *res;
    free(res);
    check_common(&cfg, &r);
    printf("    to the announced address: %llu B before, %llu B after\n",
           (unsigned long long)bytes_to_server(&r, "10.2.2.1", 0),
           (unsigned long long)bytes_to_server(&r, "10.2.2.1", 1));
    assert_true(st_server_counter(&r.st, "MPTcpExtRmAddrTx") >= 1);
    assert_int_equal(st_client_counter(&r.st, "MPTcpExtRmAddr"), 1);
    assert_true(bytes_to_server(&r, "10.2.2.1", 0) > 0);
    assert_int_equal(bytes_to_server(&r, "10.2.2.1", 1), 0);
    assert_true(bytes_to_server(&r, "10.1.2.1", 1) > BULK / 2);
}

/* ---- the data level's out-of-order limit ---------------------------------------------------- */

/* Two paths of different RTTs leave many holes at the data level; with a tiny out-of-order
 * range limit at the receiver, bytes the subflows acknowledged must wait in the subflows
 * rather than be dropped (nobody would send them again). Regression: they were dropped, and
 * the transfer stalled for good with every subflow idle. */
static void test_ooo_limit(void **state)
{
    (void)state;
    static umptcp_config small_ooo;
    umptcp_config_init(&small_ooo);
    small_ooo.max_ooo_ranges = 4;
    struct sm_config cfg;
    two_paths(&cfg, 16);
    cfg.st.bytes_c2s = 16 * MIB;
    cfg.st.server.stack_cfg = &small_ooo;
    cfg.st.time_limit_ns = 60 * SEC;
    struct sm_result *res = run("ooo_limit", &cfg);
    struct sm_result r = *res;
    free(res);
    check_common(&cfg, &r);
    assert_true(sm_path_bytes(&r, 1, ST_DIR_FWD, SIZE_MAX) > 0);
}

/* ---- a receiver that reads slowly: the data-level window limits the sender ---------------- */

/* A small receive buffer makes the peer's data-level window, not the congestion windows, the
 * limit: its edge moves in steps as the application reads, and a chunk cut at the edge is a
 * mapping (and a segment) of its own. The receiver announces its window in whole segments
 * (receiver-side silly window avoidance, RFC 9293 3.8.6.2.2), so segments stay large. */
static void test_window_limited(void **state)
{
    (void)state;
    static umptcp_config small_rcvbuf;
    umptcp_config_init(&small_rcvbuf);
    small_rcvbuf.rcvbuf = 48 * 1024;
    small_rcvbuf.rcvbuf_max = 48 * 1024;
    struct sm_config cfg;
    two_paths(&cfg, 17);
    cfg.st.bytes_c2s = 16 * MIB;
    cfg.st.server.stack_cfg = &small_rcvbuf;
    cfg.st.time_limit_ns = 120 * SEC;
    struct sm_result *res = run("window_limited", &cfg);
    struct sm_result r = *res;
    free(res);
    check_common(&cfg, &r);
}

/* ---- (e) IPv6 --------------------------------------------------------------------------- */

static void test_ipv6(void **state)
{
    (void)state;
    struct sm_config cfg;
    two_paths(&cfg, 15);
    cfg.st.ipv6 = true;
    struct sm_result *res = run("ipv6", &cfg);
    struct sm_result r = *res;
    free(res);
    check_common(&cfg, &r);
    assert_int_equal(r.sub[0].client.addr.family, UMPTCP_AF_INET6);
    assert_true(sm_path_bytes(&r, 0, ST_DIR_FWD, SIZE_MAX) > BULK / 10);
    assert_true(sm_path_bytes(&r, 1, ST_DIR_FWD, SIZE_MAX) > BULK / 10);
    /* More than the faster path could carry alone (50 Mbit/s), toward the sum (70). */
    assert_true(r.st.c2s.goodput_bps > 55.0 * MBIT);
}

/* ---- the harness itself ------------------------------------------------------------------- */

/* The same seed gives the same multipath run, event for event; the per-subflow accounts add
 * up to the transfer. */
static void test_deterministic(void **state)
{
    (void)state;
    struct sm_config cfg;
    two_paths(&cfg, 18);
    impair(&cfg, 0);
    impair(&cfg, 1);
    cfg.st.bytes_c2s = 2 * MIB;
    cfg.st.bytes_s2c = 1 * MIB;
    struct sm_result *a = sm_result_new(), *b = sm_result_new();
    assert_non_null(a);
    assert_non_null(b);
    enum st_failure fa = sm_run(&cfg, a), fb = sm_run(&cfg, b);
    bool same = a->st.events == b->st.events && a->st.done_ns == b->st.done_ns &&
                a->nsub == b->nsub && a->nsub == 2 &&
                a->sub[1].c2s.new_bytes == b->sub[1].c2s.new_bytes &&
                a->sub[0].s2c.retrans_bytes == b->sub[0].s2c.retrans_bytes;
    uint64_t c2s = a->sub[0].c2s.new_bytes + a->sub[1].c2s.new_bytes;
    uint64_t s2c = a->sub[0].s2c.new_bytes + a->sub[1].s2c.new_bytes;
    free(a);
    free(b);
    assert_int_equal(fa, ST_OK);
    assert_int_equal(fb, ST_OK);
    assert_true(same);
    assert_int_equal(c2s, 2 * MIB);
    assert_int_equal(s2c, 1 * MIB);
}

/* ---- main ---------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
    pcap_dir = getenv("UMPTCP_PCAP_DIR");
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--verbose") == 0)
            verbose = true;
        else if (strcmp(argv[i], "--pcap-dir") == 0 && i + 1 < argc)
            pcap_dir = argv[++i];
        else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            cmocka_set_test_filter(argv[++i]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_two_paths_lossy),
        cmocka_unit_test(test_both_ways_cut),
        cmocka_unit_test(test_slow_bloated_path),
        cmocka_unit_test(test_path_cut),
        cmocka_unit_test(test_cut_near_end),
        cmocka_unit_test(test_path_outage),
        cmocka_unit_test(test_add_addr_lost),
        cmocka_unit_test(test_ipv6),
        /* the data level's limits */
        cmocka_unit_test(test_window_limited),
        cmocka_unit_test(test_ooo_limit),
        cmocka_unit_test(test_remove_addr_client),
        cmocka_unit_test(test_remove_addr_server),
    };
    return cmocka_run_group_tests_name("mptcp_transfer", tests, NULL, NULL);
}
