/* scn_run on scenarios written for one behaviour each (the presets have their own test):
 * NATs on both paths, address removal and backup events, IPv6, a two-way sized flow with
 * checksums and other schedulers, a flow that cannot reach its server, and the per-host
 * captures. Every flow's bytes are checked at their offsets and hashed at both ends. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scenario/scenario.h"
#include "scenario/scenario_report.h"
#include "scenario/scenario_run.h"
#include "testutil.h"
#include "umptcp/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SEC 1000000000ull

static struct scn_scenario scn; /* large: not on the stack */

/* Two paths from a phone to a server, its flow section left open for more keys. */
#define TWO_PATHS                                                                                  \
    "[host phone]\naddress = 10.0.1.1\naddress = 10.0.2.1\n"                                       \
    "[host server]\naddress = 10.0.9.1\n"                                                          \
    "[router r]\n"                                                                                 \
    "[link wifi]\na = 10.0.1.1\nb = r\nrate = 20Mbit\ndelay = 10ms\n"                              \
    "[link lte]\na = 10.0.2.1\nb = r\nrate = 10Mbit\ndelay = 30ms\n"                               \
    "[link core]\na = r\nb = server\n"                                                             \
    "[flow f]\nclient = phone\nserver = server\n"

static void parse(const char *text)
{
    char err[512];
    if (scn_parse_text(text, "test", &scn, err, sizeof(err)) != UMPTCP_OK)
        fail_msg("%s", err);
}

static void print(const struct scn_result *r)
{
    struct scn_report rep = {.scenario = &scn, .result = r};
    scn_report_text(stdout, &rep);
    fflush(stdout);
}

static void run(struct scn_result *r, const struct scn_run_opts *o)
{
    int rc = scn_run(&scn, o, r);
    if (rc != UMPTCP_OK)
        fail_msg("run: %s", r->failure);
    print(r);
}

static void assert_complete(const struct scn_result *r, size_t i)
{
    const struct scn_flow_result *f = &r->flow[i];
    assert_true(f->connected);
    assert_true(f->intact);
    assert_true(f->complete);
    assert_string_equal(f->error, "");
    assert_string_equal(f->sha_sent, f->sha_received);
}

/* Bytes the subflow on `link` carried in (from, to] of simulated time. */
static double link_bytes(const struct scn_result *r, const char *link, uint64_t from, uint64_t to)
{
    double bytes = 0;
    for (size_t i = 0; i < r->nsamples; i++) {
        const struct scn_sample *s = &r->samples[i];
        if (s->subflow < 0 || strcmp(r->flow[s->flow].sub[s->subflow].link, link) != 0)
            continue;
        if (s->t_ns > from && s->t_ns <= to)
            bytes += s->rate_bps * (double)r->sample_ns / 8e9;
    }
    return bytes;
}

/* A counter of a host at the end of the run (0 when it stayed 0). */
static uint64_t host_counter(const struct scn_result *r, const char *host, const char *name)
{
    for (size_t i = 0; i < r->nhost; i++) {
        if (strcmp(r->host[i].name, host) != 0)
            continue;
        for (size_t k = 0; k < r->host[i].ncounters; k++)
            if (strcmp(r->host[i].counters[k].name, name) == 0)
                return r->host[i].counters[k].value;
        return 0;
    }
    fail_msg("no host %s", host);
    return 0;
}

/* Each path behind its own NAT (RFC 8684 3.9 expects joins to work through them): the
 * server sees the NATs' addresses; the transfer completes over both. */
static void test_nat_on_both_paths(void **state)
{
    (void)state;
    parse("[host phone]\naddress = 192.168.1.10\naddress = 10.64.0.10\n"
          "[host server]\naddress = 203.0.113.1\n"
          "[router home]\n[router carrier]\n[router internet]\n"
          "[link wifi]\na = 192.168.1.10\nb = home\nrate = 20Mbit\ndelay = 10ms\n"
          "[link lte]\na = 10.64.0.10\nb = carrier\nrate = 10Mbit\ndelay = 30ms\n"
          "[link home-up]\na = home\nb = internet\nmiddlebox = nat\nnat_address = 198.51.100.1\n"
          "[link carrier-up]\na = carrier\nb = internet\nmiddlebox = nat\n"
          "nat_address = 198.51.100.2\n"
          "[link core]\na = internet\nb = server\n"
          "[flow f]\nclient = phone\nserver = server\ndirection = download\nbytes = 20MB\n");
    struct scn_result r;
    run(&r, NULL);
    assert_complete(&r, 0);
    const struct scn_flow_result *f = &r.flow[0];
    assert_true(f->mptcp);
    assert_int_equal(f->nsub, 2);
    for (size_t k = 0; k < 2; k++) {
        const char *nat = strcmp(f->sub[k].link, "wifi") == 0 ? "198.51.100.1:" : "198.51.100.2:";
        assert_true(strncmp(f->sub[k].seen_as, nat, strlen(nat)) == 0);
        assert_true(f->sub[k].share > 0.2);
    }
    assert_int_equal(host_counter(&r, "server", "MPTcpExtMPJoinAckRx"), 1);
    scn_result_free(&r);
}

/* remove-address: the LTE address leaves the phone's stack at 3 s; its subflow closes
 * (REMOVE_ADDR) and carries nothing afterwards while WiFi goes on. */
static void test_remove_address_event(void **state)
{
    (void)state;
    parse(TWO_PATHS "direction = download\nbytes = 30MB\n[events]\n3s = remove-address 10.0.2.1\n");
    struct scn_result r;
    run(&r, NULL);
    assert_complete(&r, 0);
    double before = link_bytes(&r, "lte", 0, 3 * SEC);
    double after = link_bytes(&r, "lte", 3 * SEC + 200000000ull, r.end_ns);
    printf("lte: %.0f bytes before, %.0f after\n", before, after);
    assert_true(before > 1e6);
    assert_true(after == 0);
    assert_true(link_bytes(&r, "wifi", 3 * SEC, r.end_ns) > 5e6);
    scn_result_free(&r);
}

/* WiFi comes and goes: the phone starts on LTE, gets its WiFi address at 1 s, loses it at
 * 3, 6, ... 24 s and gets it back a second later each time: nine WiFi subflows over the
 * connection's life, more than the 8 a connection has at once. Each must join and carry data
 * (regression: closed subflows kept their places for good, so the 8th join was the last, and
 * max_subflows counted closed ones too). The samples show no WiFi data before 1 s. */
#define FLAPPING_WIFI                                                                              \
    "[events]\n1s = add-address 10.0.1.1\n"                                                        \
    "3s = remove-address 10.0.1.1\n4s = add-address 10.0.1.1\n"                                    \
    "6s = remove-address 10.0.1.1\n7s = add-address 10.0.1.1\n"                                    \
    "9s = remove-address 10.0.1.1\n10s = add-address 10.0.1.1\n"                                   \
    "12s = remove-address 10.0.1.1\n13s = add-address 10.0.1.1\n"                                  \
    "15s = remove-address 10.0.1.1\n16s = add-address 10.0.1.1\n"                                  \
    "18s = remove-address 10.0.1.1\n19s = add-address 10.0.1.1\n"                                  \
    "21s = remove-address 10.0.1.1\n22s = add-address 10.0.1.1\n"                                  \
    "24s = remove-address 10.0.1.1\n25s = add-address 10.0.1.1\n"

static void check_flapping_wifi(const char *flow_keys)
{
    char text[2048];
    snprintf(text, sizeof(text),
             "[scenario]\nduration = 27s\n" TWO_PATHS
             "source = 10.0.2.1\ndirection = download\n%s" FLAPPING_WIFI,
             flow_keys);
    parse(text);
    struct scn_result r;
    run(&r, NULL);
    const struct scn_flow_result *f = &r.flow[0];
    assert_true(f->connected);
    assert_true(f->intact);
    assert_string_equal(f->error, "");
    assert_true(f->mptcp);
    assert_int_equal(f->nsub, 10);
    assert_int_equal(f->untracked_subflows, 0);
    assert_string_equal(f->sub[0].link, "lte");
    for (size_t k = 1; k < f->nsub; k++) {
        printf("subflow %zu on %s: %" PRIu64 " bytes\n", k, f->sub[k].link, f->sub[k].bytes_acked);
        assert_string_equal(f->sub[k].link, "wifi");
        assert_true(f->sub[k].bytes_acked > 500000);
    }
    assert_true(link_bytes(&r, "wifi", 0, 1 * SEC) == 0);
    assert_true(link_bytes(&r, "wifi", 25 * SEC, r.end_ns) > 1e6);
    assert_int_equal(host_counter(&r, "server", "MPTcpExtMPJoinAckHMacFailure"), 0);
    assert_int_equal(host_counter(&r, "server", "MPTcpExtMPJoinRejected"), 0);
    assert_true(host_counter(&r, "server", "MPTcpExtMPJoinAckRx") >= 9);
    scn_result_free(&r);
}

static void test_address_comes_and_goes(void **state)
{
    (void)state;
    check_flapping_wifi("");
}

/* The same with max_subflows = 2: the limit counts open subflows, not closed ones. */
static void test_address_comes_and_goes_two_subflows(void **state)
{
    (void)state;
    check_flapping_wifi("max_subflows = 2\n");
}

/* backup on: after 2 s LTE is a backup path (MP_PRIO) and carries (almost) nothing while WiFi
 * works; the flow reports it as a backup subflow. */
static void test_backup_event(void **state)
{
    (void)state;
    parse(TWO_PATHS "direction = download\nbytes = 30MB\n[events]\n2s = backup 10.0.2.1 on\n");
    struct scn_result r;
    run(&r, NULL);
    assert_complete(&r, 0);
    double before = link_bytes(&r, "lte", 0, 2 * SEC);
    double after = link_bytes(&r, "lte", 3 * SEC, r.end_ns);
    printf("lte: %.0f bytes before, %.0f after\n", before, after);
    assert_true(before > 1e6);
    assert_true(after < 0.02 * before);
    for (size_t k = 0; k < r.flow[0].nsub; k++)
        assert_int_equal(r.flow[0].sub[k].backup, strcmp(r.flow[0].sub[k].link, "lte") == 0);
    scn_result_free(&r);
}

/* IPv6 end to end, both paths. */
static void test_ipv6(void **state)
{
    (void)state;
    parse("[host phone]\naddress = fd00:1::1\naddress = fd00:2::1\n"
          "[host server]\naddress = fd00:9::1\n[router r]\n"
          "[link wifi]\na = fd00:1::1\nb = r\nrate = 20Mbit\ndelay = 10ms\n"
          "[link lte]\na = fd00:2::1\nb = r\nrate = 10Mbit\ndelay = 30ms\n"
          "[link core]\na = r\nb = server\n"
          "[flow f]\nclient = phone\nserver = server\nbytes = 10MB\n");
    struct scn_result r;
    run(&r, NULL);
    assert_complete(&r, 0);
    assert_true(r.flow[0].mptcp);
    assert_int_equal(r.flow[0].nsub, 2);
    assert_true(strncmp(r.flow[0].sub[1].local, "fd00:2::1", 9) == 0);
    scn_result_free(&r);
}

/* Both directions at once, DSS checksums, round-robin, Reno, rate and loss events on the way;
 * the --cc/--sched overrides of scn_run_opts win over the file. */
static void test_both_ways_with_options(void **state)
{
    (void)state;
    parse(TWO_PATHS "direction = both\nbytes = 8MB\nchecksum = yes\nsched = minrtt\ncc = cubic\n"
                    "[events]\n1s = rate wifi 5Mbit\n2s = loss lte 1%\n3s = delay wifi 50ms\n"
                    "4s = queue lte 20KB\n");
    struct scn_result r;
    struct scn_run_opts o = {.sched = "rr", .cc = "reno"};
    run(&r, &o);
    assert_complete(&r, 0);
    assert_int_equal(r.flow[0].bytes_received, 16000000);
    assert_true(r.flow[0].mptcp);
    scn_result_free(&r);
}

/* A flow whose server cannot be reached (no link to it): it fails, the run does not. */
static void test_unreachable_server(void **state)
{
    (void)state;
    parse("[host a]\naddress = 10.0.0.1\n[host b]\naddress = 10.0.0.2\n[router r]\n"
          "[link l]\na = a\nb = r\n[flow f]\nclient = a\nserver = b\nbytes = 1MB\n"
          "[scenario]\nduration = 5s\n");
    struct scn_result r;
    run(&r, NULL);
    assert_false(r.flow[0].connected);
    assert_false(r.flow[0].complete);
    assert_int_equal(r.flow[0].bytes_received, 0);
    assert_int_equal(r.end_ns, 5 * SEC);
    scn_result_free(&r);
}

/* --pcap-dir: one capture per host, none for routers; a missing directory is a clear error. */
static void test_captures(void **state)
{
    (void)state;
    parse(TWO_PATHS "direction = download\nbytes = 1MB\n");
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/pcaps", tu_tmpdir());
    assert_int_equal(mkdir(dir, 0700), 0);
    struct scn_result r;
    struct scn_run_opts o = {.pcap_dir = dir};
    run(&r, &o);
    assert_complete(&r, 0);
    scn_result_free(&r);
    const char *names[] = {"phone", "server"};
    for (size_t i = 0; i < 2; i++) {
        char path[600];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s.pcap", dir, names[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_true(st.st_size > 1000000); /* the megabyte crossed both hosts */
    }
    char path[600];
    struct stat st;
    snprintf(path, sizeof(path), "%s/r.pcap", dir);
    assert_int_not_equal(stat(path, &st), 0);
    o.pcap_dir = "/nonexistent/dir";
    assert_int_not_equal(scn_run(&scn, &o, &r), UMPTCP_OK);
    assert_non_null(strstr(r.failure, "/nonexistent/dir/phone.pcap"));
    scn_result_free(&r);
}

/* wifi-lte in steady state: losses at the full queues are repaired without a retransmission
 * timeout, so no subflow's congestion window collapses to a few segments after the start.
 * (A fast retransmission dropped by the full queue used to be resent by RACK one RTT later,
 * and the RTO armed before the first try fired before that second one could be acknowledged:
 * cwnd went down to one segment on LTE at 12.2 s and on WiFi at 20.4 s.) */
static void test_no_rto_collapse_in_steady_state(void **state)
{
    (void)state;
    char err[512];
    assert_int_equal(scn_load_preset("wifi-lte", &scn, err, sizeof(err)), UMPTCP_OK);
    struct scn_result r;
    run(&r, NULL);
    uint32_t lowest = UINT32_MAX;
    uint64_t lowest_at = 0;
    for (size_t i = 0; i < r.nsamples; i++) {
        const struct scn_sample *s = &r.samples[i];
        if (s->subflow >= 0 && s->t_ns > 2 * SEC && s->cwnd < lowest) {
            lowest = s->cwnd;
            lowest_at = s->t_ns;
        }
    }
    printf("lowest cwnd after 2 s: %u bytes at %.1f s\n", lowest, (double)lowest_at / 1e9);
    assert_true(lowest >= 20 * 1448);
    /* The sender's own counter agrees: no retransmission timeout at all. */
    assert_int_equal(host_counter(&r, "server", "TcpExtTCPTimeouts"), 0);
    assert_true(host_counter(&r, "server", "TcpRetransSegs") > 0); /* losses there were */
    scn_result_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nat_on_both_paths),
        cmocka_unit_test(test_remove_address_event),
        cmocka_unit_test(test_address_comes_and_goes),
        cmocka_unit_test(test_address_comes_and_goes_two_subflows),
        cmocka_unit_test(test_backup_event),
        cmocka_unit_test(test_ipv6),
        cmocka_unit_test(test_both_ways_with_options),
        cmocka_unit_test(test_unreachable_server),
        cmocka_unit_test(test_captures),
        cmocka_unit_test(test_no_rto_collapse_in_steady_state),
    };
    return cmocka_run_group_tests_name("scenario_run", tests, NULL, NULL);
}
