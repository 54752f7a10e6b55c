/* Every preset of `umptcp sim` runs in the simulator and meets what it is meant to show
 * (issue 5): the library API of tools/scenario, as the CLI uses it.
 *
 *   wifi-lte, dual-ethernet  MPTCP aggregates at least 90% of the sum of the paths' rates,
 *                            more than TCP on the best path alone, every path carrying data
 *   heterogeneous            MPTCP is not worse than TCP on the fast path alone
 *   handover                 the 80 MB download survives WiFi's outage intact: LTE carries it
 *                            meanwhile, WiFi carries nothing while down and data again after
 *   shared-bottleneck        both flows run intact and fill the bottleneck (fairness comes
 *                            with coupled congestion control)
 *   lossy                    intact through loss and reordering, above the best path alone
 *   middlebox                falls back to TCP (options stripped) and completes intact
 *
 * Options: --filter PATTERN, --verbose (print every report). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "scenario/scenario.h"
#include "scenario/scenario_report.h"
#include "scenario/scenario_run.h"
#include "umptcp/error.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEC 1000000000ull
#define MBIT 1e6

static bool verbose;

/* A preset's run with its baselines (TCP on each client interface of flow 0). */
struct run {
    struct scn_scenario s;
    struct scn_result r;
    struct scn_baseline bl[SCN_MAX_IFACES];
    size_t nbl;
};

static void print_report(const struct run *x)
{
    struct scn_report rep = {
        .scenario = &x->s, .result = &x->r, .baselines = x->bl, .nbaselines = x->nbl};
    scn_report_text(stdout, &rep);
    fflush(stdout);
}

/* Runs preset `name` for at most `duration` (0: its own), with baselines when asked. */
static struct run *run_preset(const char *name, uint64_t duration, bool baselines)
{
    struct run *x = calloc(1, sizeof(*x));
    assert_non_null(x);
    char err[512];
    int rc = scn_load_preset(name, &x->s, err, sizeof(err));
    if (rc != UMPTCP_OK)
        fail_msg("%s", err);
    struct scn_run_opts o = {.duration_ns = duration};
    rc = scn_run(&x->s, &o, &x->r);
    if (rc != UMPTCP_OK)
        fail_msg("%s: %s", name, x->r.failure);
    const struct scn_node *client = &x->s.node[x->s.flow[0].client];
    static struct scn_scenario variant;
    for (size_t i = 0; baselines && i < client->niface; i++) {
        assert_int_equal(scn_single_path_variant(&x->s, 0, i, &variant), UMPTCP_OK);
        struct scn_baseline *b = &x->bl[x->nbl++];
        b->flow = 0;
        b->iface = i;
        int l = scn_iface_link(&x->s, x->s.flow[0].client, i);
        assert_true(l >= 0);
        memcpy(b->link, x->s.link[l].name, sizeof(b->link));
        assert_int_equal(scn_run(&variant, &o, &b->result), UMPTCP_OK);
    }
    printf("%-18s %6.2f Mbit/s, simulated %.1f s in %.2f s wall, %llu events\n", name,
           x->r.flow[0].goodput_bps / MBIT, (double)x->r.end_ns / 1e9, x->r.wall_seconds,
           (unsigned long long)x->r.events);
    if (verbose)
        print_report(x);
    return x;
}

static void free_run(struct run *x)
{
    scn_result_free(&x->r);
    for (size_t i = 0; i < x->nbl; i++)
        scn_result_free(&x->bl[i].result);
    free(x);
}

/* The flow moved data, nothing arrived damaged, and no error was recorded. */
static void assert_flow_intact(const struct run *x, size_t i)
{
    const struct scn_flow_result *f = &x->r.flow[i];
    if (!f->connected || !f->intact || f->error[0] != '\0' || f->bytes_received == 0) {
        print_report(x);
        fail_msg("flow %zu: connected %d intact %d error '%s'", i, f->connected, f->intact,
                 f->error);
    }
}

/* A sized flow completed: every byte, the same SHA-256 both ends. */
static void assert_flow_complete(const struct run *x, size_t i)
{
    const struct scn_flow_result *f = &x->r.flow[i];
    assert_flow_intact(x, i);
    if (!f->complete || f->bytes_received != x->s.flow[i].bytes ||
        strcmp(f->sha_sent, f->sha_received) != 0) {
        print_report(x);
        fail_msg("flow %zu: complete %d, %llu of %llu bytes, sha %s vs %s", i, f->complete,
                 (unsigned long long)f->bytes_received, (unsigned long long)x->s.flow[i].bytes,
                 f->sha_sent, f->sha_received);
    }
}

static double rate_of_link(const struct run *x, const char *link)
{
    int l = scn_find_link(&x->s, link);
    assert_true(l >= 0);
    return (double)x->s.link[l].dir[0].cfg.rate_bps;
}

static double best_baseline(const struct run *x)
{
    double best = 0;
    for (size_t i = 0; i < x->nbl; i++) {
        assert_true(x->bl[i].result.flow[0].intact);
        assert_false(x->bl[i].result.flow[0].mptcp);
        if (x->bl[i].result.flow[0].goodput_bps > best)
            best = x->bl[i].result.flow[0].goodput_bps;
    }
    return best;
}

/* Bytes subflows on `link` carried in [from, to) of simulated time (from the samples). */
static double link_bytes(const struct run *x, const char *link, uint64_t from, uint64_t to)
{
    const struct scn_flow_result *f = &x->r.flow[0];
    double bytes = 0;
    for (size_t i = 0; i < x->r.nsamples; i++) {
        const struct scn_sample *smp = &x->r.samples[i];
        if (smp->flow != 0 || smp->subflow < 0 || (size_t)smp->subflow >= f->nsub ||
            strcmp(f->sub[smp->subflow].link, link) != 0)
            continue;
        /* A sample covers the interval that ends at t_ns. */
        if (smp->t_ns > from && smp->t_ns <= to)
            bytes += smp->rate_bps * (double)SCN_DEFAULT_SAMPLE_NS / 1e9 / 8;
    }
    return bytes;
}

static double share_of_link(const struct run *x, const char *link)
{
    double share = 0;
    for (size_t k = 0; k < x->r.flow[0].nsub; k++)
        if (strcmp(x->r.flow[0].sub[k].link, link) == 0)
            share += x->r.flow[0].sub[k].share;
    return share;
}

/* MPTCP over two paths: at least 90% of their summed rate, above the best path alone, both
 * paths used. */
static void check_two_paths(const char *preset, const char *l1, const char *l2, uint64_t duration)
{
    struct run *x = run_preset(preset, duration, true);
    assert_flow_intact(x, 0);
    assert_true(x->r.flow[0].mptcp);
    double sum = rate_of_link(x, l1) + rate_of_link(x, l2);
    double got = x->r.flow[0].goodput_bps;
    double best = best_baseline(x);
    printf("    MPTCP %.2f Mbit/s = %.1f%% of %.0f; best path alone %.2f (gain %.2fx); shares "
           "%s %.2f %s %.2f\n",
           got / MBIT, 100 * got / sum, sum / MBIT, best / MBIT, got / best, l1,
           share_of_link(x, l1), l2, share_of_link(x, l2));
    if (got < 0.9 * sum || got <= best || share_of_link(x, l1) < 0.2 ||
        share_of_link(x, l2) < 0.2) {
        print_report(x);
        fail_msg("%s: aggregate %.2f Mbit/s (sum %.2f, best path %.2f)", preset, got / MBIT,
                 sum / MBIT, best / MBIT);
    }
    free_run(x);
}

static void test_wifi_lte(void **state)
{
    (void)state;
    check_two_paths("wifi-lte", "wifi", "lte", 0);
}

static void test_dual_ethernet(void **state)
{
    (void)state;
    check_two_paths("dual-ethernet", "eth0", "eth1", 10 * SEC);
}

static void test_heterogeneous(void **state)
{
    (void)state;
    struct run *x = run_preset("heterogeneous", 0, true);
    assert_flow_intact(x, 0);
    assert_true(x->r.flow[0].mptcp);
    double got = x->r.flow[0].goodput_bps, best = best_baseline(x);
    printf("    MPTCP %.2f Mbit/s, TCP on the best path alone %.2f\n", got / MBIT, best / MBIT);
    if (got < 0.95 * best) {
        print_report(x);
        fail_msg("heterogeneous: MPTCP %.2f Mbit/s below the fast path alone (%.2f)", got / MBIT,
                 best / MBIT);
    }
    free_run(x);
}

static void test_handover(void **state)
{
    (void)state;
    struct run *x = run_preset("handover", 0, false);
    assert_flow_complete(x, 0);
    assert_true(x->r.flow[0].mptcp);
    double before = link_bytes(x, "wifi", 0, 10 * SEC);
    double during_wifi = link_bytes(x, "wifi", 10 * SEC + SCN_DEFAULT_SAMPLE_NS, 20 * SEC);
    double during_lte = link_bytes(x, "lte", 10 * SEC, 20 * SEC);
    double after = link_bytes(x, "wifi", 20 * SEC, x->r.end_ns);
    printf("    wifi %.1f MB before the outage, %.1f MB during, %.1f MB after; lte %.1f MB "
           "during; done at %.2f s\n",
           before / 1e6, during_wifi / 1e6, after / 1e6, during_lte / 1e6,
           (double)x->r.flow[0].done_ns / 1e9);
    /* During the outage LTE carries close to its 10 Mbit/s; WiFi is used again after it. */
    if (before < 10e6 || during_wifi > 0 || during_lte < 0.7 * 10 * 10e6 / 8 || after < 5e6) {
        print_report(x);
        fail_msg("handover: wifi %.0f/%.0f/%.0f bytes, lte %.0f during", before, during_wifi, after,
                 during_lte);
    }
    free_run(x);
}

static void test_shared_bottleneck(void **state)
{
    (void)state;
    struct run *x = run_preset("shared-bottleneck", 20 * SEC, false);
    assert_flow_intact(x, 0);
    assert_flow_intact(x, 1);
    assert_true(x->r.flow[0].mptcp);
    assert_false(x->r.flow[1].mptcp);
    assert_int_equal(x->r.flow[0].nsub, 2);
    double m = x->r.flow[0].goodput_bps, t = x->r.flow[1].goodput_bps;
    printf("    MPTCP %.2f Mbit/s, TCP %.2f Mbit/s through 20 Mbit/s\n", m / MBIT, t / MBIT);
    if (m + t < 0.85 * 20 * MBIT || t < 1 * MBIT) {
        print_report(x);
        fail_msg("shared-bottleneck: %.2f + %.2f Mbit/s", m / MBIT, t / MBIT);
    }
    free_run(x);
}

static void test_lossy(void **state)
{
    (void)state;
    struct run *x = run_preset("lossy", 20 * SEC, true);
    assert_flow_intact(x, 0);
    assert_true(x->r.flow[0].mptcp);
    double got = x->r.flow[0].goodput_bps, best = best_baseline(x);
    printf("    MPTCP %.2f Mbit/s, TCP on the best path alone %.2f\n", got / MBIT, best / MBIT);
    if (got <= best) {
        print_report(x);
        fail_msg("lossy: MPTCP %.2f Mbit/s, best path alone %.2f", got / MBIT, best / MBIT);
    }
    free_run(x);
}

static void test_middlebox(void **state)
{
    (void)state;
    struct run *x = run_preset("middlebox", 0, false);
    assert_flow_complete(x, 0);
    if (x->r.flow[0].mptcp || x->r.flow[0].fallback[0] == '\0') {
        print_report(x);
        fail_msg("middlebox: mptcp %d, fallback '%s'", x->r.flow[0].mptcp, x->r.flow[0].fallback);
    }
    printf("    fell back: %s\n", x->r.flow[0].fallback);
    /* The phone's own counters say so, as the kernel's would (nstat). */
    bool counted = false;
    for (size_t h = 0; h < x->r.nhost; h++)
        for (size_t k = 0; k < x->r.host[h].ncounters; k++)
            counted |=
                strcmp(x->r.host[h].name, "phone") == 0 &&
                strcmp(x->r.host[h].counters[k].name, "MPTcpExtMPCapableFallbackSYNACK") == 0 &&
                x->r.host[h].counters[k].value == 1;
    assert_true(counted);
    free_run(x);
}

/* Field by field (padding bytes carry no meaning, so no memcmp of structs). */
static void assert_same_samples(const struct scn_result *a, const struct scn_result *b)
{
    assert_int_equal(a->nsamples, b->nsamples);
    for (size_t i = 0; i < a->nsamples; i++) {
        const struct scn_sample *x = &a->samples[i], *y = &b->samples[i];
        assert_int_equal(x->t_ns, y->t_ns);
        assert_int_equal(x->flow, y->flow);
        assert_int_equal(x->subflow, y->subflow);
        assert_true(x->rate_bps == y->rate_bps);
        assert_int_equal(x->cwnd, y->cwnd);
        assert_int_equal(x->srtt_us, y->srtt_us);
    }
}

static bool same_flow(const struct scn_flow_result *x, const struct scn_flow_result *y)
{
    bool same = x->bytes_sent == y->bytes_sent && x->bytes_received == y->bytes_received &&
                x->retrans_segs == y->retrans_segs && x->last_byte_ns == y->last_byte_ns &&
                strcmp(x->sha_received, y->sha_received) == 0 && x->nsub == y->nsub;
    for (size_t k = 0; same && k < x->nsub; k++)
        same = x->sub[k].bytes_acked == y->sub[k].bytes_acked &&
               x->sub[k].srtt_us == y->sub[k].srtt_us && x->sub[k].cwnd == y->sub[k].cwnd &&
               strcmp(x->sub[k].local, y->sub[k].local) == 0;
    return same;
}

/* Same preset, same seed: the same result; another seed: a different one. */
static void test_same_seed_same_result(void **state)
{
    (void)state;
    struct run *a = run_preset("lossy", 5 * SEC, false);
    struct run *b = run_preset("lossy", 5 * SEC, false);
    assert_int_equal(a->r.events, b->r.events);
    assert_same_samples(&a->r, &b->r);
    assert_true(same_flow(&a->r.flow[0], &b->r.flow[0]));
    for (size_t l = 0; l < a->r.nlink; l++)
        for (int d = 0; d < 2; d++)
            assert_int_equal(a->r.link[l].dir[d].delivered_bytes,
                             b->r.link[l].dir[d].delivered_bytes);
    struct scn_run_opts o = {.duration_ns = 5 * SEC, .seed_set = true, .seed = 2};
    struct scn_result c;
    assert_int_equal(scn_run(&a->s, &o, &c), UMPTCP_OK);
    assert_false(same_flow(&c.flow[0], &a->r.flow[0]));
    scn_result_free(&c);
    free_run(a);
    free_run(b);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--verbose") == 0)
            verbose = true;
        else if (strcmp(argv[i], "--filter") == 0 && i + 1 < argc)
            cmocka_set_test_filter(argv[++i]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wifi_lte),          cmocka_unit_test(test_dual_ethernet),
        cmocka_unit_test(test_heterogeneous),     cmocka_unit_test(test_handover),
        cmocka_unit_test(test_shared_bottleneck), cmocka_unit_test(test_lossy),
        cmocka_unit_test(test_middlebox),         cmocka_unit_test(test_same_seed_same_result),
    };
    return cmocka_run_group_tests_name("scenario_presets", tests, NULL, NULL);
}
