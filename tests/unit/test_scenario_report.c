/* The outputs of `umptcp sim` (tools/scenario/scenario_report*.c, scenario_plot.c,
 * scenario_json.c) on a result filled in by hand: an MPTCP flow over WiFi and LTE with two
 * single-path baselines, and a plain TCP flow that fell back for a reason holding a quote and
 * a line break. The table shows the key figures; the JSON is valid (checked by a small
 * validator here), escaped, and the same bytes twice; the CSV has the documented header and
 * rows; gnuplot draws SVG and PNG, and the errors say what to do. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "scenario/scenario_json.h"
#include "scenario/scenario_report.h"
#include "umptcp/error.h"

#define MS 1000000ull
#define NSTEPS 300 /* 30 s of samples every 100 ms */
#define PER_STEP 5 /* download: all, 0, 1; plain: all, 0 */
#define FALLBACK "middlebox said \"no\"\nstripped"

struct fixture {
    struct scn_scenario s;
    struct scn_result r;
    struct scn_baseline base[2];
    struct scn_report rep;
};

/* ---- the synthetic run ---------------------------------------------------------------- */

static void add_host(struct scn_scenario *s, const char *name, const char *const *addrs)
{
    struct scn_node *n = &s->node[s->nnode++];
    snprintf(n->name, sizeof(n->name), "%s", name);
    n->kind = SCN_NODE_HOST;
    for (; *addrs != NULL; addrs++) {
        struct scn_iface *ifc = &n->iface[n->niface++];
        assert_int_equal(umptcp_addr_parse(&ifc->addr[0], *addrs), 0);
        ifc->naddr = 1;
    }
}

static void add_link(struct scn_scenario *s, const char *name, size_t a, int iface, size_t b)
{
    struct scn_link *l = &s->link[s->nlink++];
    snprintf(l->name, sizeof(l->name), "%s", name);
    l->node[0] = a;
    l->node[1] = b;
    l->iface[0] = iface;
    l->iface[1] = 0;
}

static void build_scenario(struct scn_scenario *s)
{
    snprintf(s->name, sizeof(s->name), "wifi-lte");
    snprintf(s->description, sizeof(s->description), "a phone\twith \"WiFi\" and LTE \\o/");
    snprintf(s->source, sizeof(s->source), "preset wifi-lte");
    s->duration_ns = 30000 * MS;
    s->seed = 7;
    s->baseline = true;
    add_host(s, "phone", (const char *const[]){"10.0.1.1", "10.0.2.1", NULL});
    add_host(s, "server", (const char *const[]){"10.0.9.1", NULL});
    add_link(s, "wifi", 0, 0, 1);
    add_link(s, "lte", 0, 1, 1);
    struct scn_flow *f = &s->flow[s->nflow++];
    snprintf(f->name, sizeof(f->name), "download");
    f->client = 0, f->server = 1, f->mptcp = true, f->dir = SCN_FLOW_DOWNLOAD;
    f->bytes = 100000000;
    f = &s->flow[s->nflow++];
    snprintf(f->name, sizeof(f->name), "plain");
    f->client = 0, f->server = 1, f->mptcp = true, f->dir = SCN_FLOW_UPLOAD, f->port = 5203;
}

static void set_sub(struct scn_subflow_result *sf, const char *link, const char *local,
                    const char *remote, uint64_t bytes, double share, uint64_t srtt_us)
{
    snprintf(sf->link, sizeof(sf->link), "%s", link);
    snprintf(sf->local, sizeof(sf->local), "%s", local);
    snprintf(sf->remote, sizeof(sf->remote), "%s", remote);
    sf->bytes_acked = bytes;
    sf->share = share;
    sf->srtt_us = srtt_us;
    sf->cwnd = 64000;
}

static void build_flows(struct scn_result *r)
{
    struct scn_flow_result *d = &r->flow[0];
    d->connected = d->complete = d->intact = d->mptcp = true;
    d->bytes_sent = d->bytes_received = 100000000;
    memset(d->sha_sent, 'a', 64);
    memset(d->sha_received, 'a', 64);
    d->connected_ns = 61 * MS;
    d->first_byte_ns = 102 * MS;
    d->last_byte_ns = d->done_ns = 28158 * MS;
    d->goodput_bps = 28.41e6;
    d->retrans_segs = 12;
    d->nsub = 2;
    set_sub(&d->sub[0], "wifi", "10.0.1.1:40000", "10.0.9.1:5202", 66900000, 0.669, 42123);
    set_sub(&d->sub[1], "lte", "10.0.2.1:40001", "10.0.9.1:5202", 33100000, 0.331, 81500);
    d->sub[1].join = true;
    d->sub[1].backup = true;
    d->sub[1].retrans_segs = 9;

    struct scn_flow_result *p = &r->flow[1];
    p->connected = p->intact = true;
    snprintf(p->fallback, sizeof(p->fallback), "%s", FALLBACK);
    p->bytes_sent = 18000000;
    p->bytes_received = 17500000;
    p->connected_ns = 40 * MS;
    p->first_byte_ns = 81 * MS;
    p->last_byte_ns = 30000 * MS;
    p->goodput_bps = 4.666667e6;
    p->nsub = 1;
    set_sub(&p->sub[0], "wifi", "10.0.1.1:40002", "10.0.9.1:5203", 17500000, 1.0, 20000);
}

static void add_sample(struct scn_result *r, uint64_t t, uint16_t flow, int16_t sub, double bps,
                       uint32_t cwnd, uint64_t srtt)
{
    assert_true(r->nsamples < r->samples_cap);
    r->samples[r->nsamples++] = (struct scn_sample){t, flow, sub, bps, cwnd, srtt};
}

/* Slow start over the first 0.5 s, WiFi down from 10 s to 20 s (LTE takes over). */
static void build_samples(struct scn_result *r)
{
    r->samples_cap = NSTEPS * PER_STEP;
    r->samples = calloc(r->samples_cap, sizeof(*r->samples));
    assert_non_null(r->samples);
    for (unsigned i = 1; i <= NSTEPS; i++) {
        double ramp = i < 5 ? i / 5.0 : 1.0;
        bool wifi_down = i >= 100 && i < 200;
        double wifi = wifi_down ? 0 : (18e6 + 250000.0 * (i % 5)) * ramp;
        double lte = (wifi_down ? 9.5e6 : 9.0e6 + 100000.0 * (i % 3)) * ramp;
        uint32_t wcwnd = wifi_down ? 2920 : 60000 + 1000 * (i % 10);
        uint64_t t = i * 100 * MS;
        add_sample(r, t, 0, -1, wifi + lte, 0, 0);
        add_sample(r, t, 0, 0, wifi, wcwnd, 42123);
        add_sample(r, t, 0, 1, lte, 80000 + 2000 * (i % 4), 81500);
        add_sample(r, t, 1, -1, 5e6 * ramp, 0, 0);
        add_sample(r, t, 1, 0, 5e6 * ramp, 30000, 20000);
    }
}

static void build_links(struct scn_result *r)
{
    r->nlink = 2;
    struct sim_link_counters *c = &r->link[0].dir[1];
    c->sent_packets = 70000;
    c->sent_bytes = 100000000;
    c->delivered_packets = 69000;
    c->delivered_bytes = 99000000;
    c->drop_queue_packets = 600;
    c->drop_down_packets = 400;
    c->queue_high_water_bytes = 100000;
    c->delay_sum_ns = 69000ull * 25 * MS;
}

static void build_baseline(struct scn_baseline *b, size_t iface, const char *link, const char *addr,
                           double bps)
{
    b->flow = 0;
    b->iface = iface;
    snprintf(b->link, sizeof(b->link), "%s", link);
    snprintf(b->addr, sizeof(b->addr), "%s", addr);
    b->result.nflow = 2;
    struct scn_flow_result *f = &b->result.flow[0];
    f->connected = f->complete = f->intact = true;
    f->goodput_bps = bps;
    f->bytes_received = 100000000;
    f->retrans_segs = 3;
}

static int setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    assert_non_null(fx);
    build_scenario(&fx->s);
    fx->r.seed = 7;
    fx->r.duration_ns = 30000 * MS;
    fx->r.end_ns = 30000 * MS;
    fx->r.events = 1234567;
    fx->r.wall_seconds = 1.4;
    fx->r.nflow = 2;
    build_flows(&fx->r);
    build_links(&fx->r);
    build_samples(&fx->r);
    build_baseline(&fx->base[0], 0, "wifi", "10.0.1.1", 19.02e6);
    build_baseline(&fx->base[1], 1, "lte", "10.0.2.1", 9.47e6);
    fx->rep = (struct scn_report){&fx->s, &fx->r, fx->base, 2};
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    free(fx->r.samples); /* scn_result_free belongs to the runner */
    free(fx);
    return 0;
}

/* ---- capturing output ---------------------------------------------------------------- */

struct capture {
    char *text;
    size_t len;
    FILE *f;
};

static void cap_open(struct capture *c)
{
    memset(c, 0, sizeof(*c));
    c->f = open_memstream(&c->text, &c->len);
    assert_non_null(c->f);
}

static void cap_close(struct capture *c)
{
    assert_int_equal(fclose(c->f), 0);
}

static void assert_contains(const char *text, const char *needle)
{
    if (strstr(text, needle) != NULL)
        return;
    fprintf(stderr, "expected to find\n%s\nin\n%s\n", needle, text);
    fail();
}

/* SCN_REPORT_DUMP=1 prints the outputs, to look at them. */
static void dump(const char *text)
{
    if (getenv("SCN_REPORT_DUMP") != NULL)
        fputs(text, stdout);
}

/* ---- a JSON validator (RFC 8259 grammar, recursive descent) -------------------------- */

struct jv {
    const char *p;
    int depth;
};

static bool jv_value(struct jv *v);

static void jv_ws(struct jv *v)
{
    while (*v->p == ' ' || *v->p == '\t' || *v->p == '\n' || *v->p == '\r')
        v->p++;
}

static bool jv_literal(struct jv *v, const char *word)
{
    size_t n = strlen(word);
    if (strncmp(v->p, word, n) != 0)
        return false;
    v->p += n;
    return true;
}

static bool jv_digits(struct jv *v)
{
    if (!isdigit((unsigned char)*v->p))
        return false;
    while (isdigit((unsigned char)*v->p))
        v->p++;
    return true;
}

static bool jv_number(struct jv *v)
{
    if (*v->p == '-')
        v->p++;
    if (*v->p == '0')
        v->p++;
    else if (!jv_digits(v))
        return false;
    if (*v->p == '.') {
        v->p++;
        if (!jv_digits(v))
            return false;
    }
    if (*v->p == 'e' || *v->p == 'E') {
        v->p++;
        if (*v->p == '+' || *v->p == '-')
            v->p++;
        if (!jv_digits(v))
            return false;
    }
    return true;
}

static bool jv_string(struct jv *v)
{
    if (*v->p++ != '"')
        return false;
    for (;;) {
        unsigned char c = (unsigned char)*v->p++;
        if (c == '"')
            return true;
        if (c < 0x20)
            return false; /* includes the end of the text */
        if (c != '\\')
            continue;
        c = (unsigned char)*v->p++;
        if (c == 'u') {
            for (int i = 0; i < 4; i++)
                if (!isxdigit((unsigned char)*v->p++))
                    return false;
        } else if (strchr("\"\\/bfnrt", c) == NULL || c == 0) {
            return false;
        }
    }
}

/* Object (close '}') or array (close ']') after its opening character. */
static bool jv_container(struct jv *v, bool object)
{
    char close = object ? '}' : ']';
    jv_ws(v);
    if (*v->p == close) {
        v->p++;
        return true;
    }
    for (;;) {
        jv_ws(v);
        if (object) {
            if (!jv_string(v))
                return false;
            jv_ws(v);
            if (*v->p++ != ':')
                return false;
        }
        if (!jv_value(v))
            return false;
        jv_ws(v);
        char c = *v->p++;
        if (c == close)
            return true;
        if (c != ',')
            return false;
    }
}

static bool jv_value(struct jv *v)
{
    jv_ws(v);
    char c = *v->p;
    if (c == '{' || c == '[') {
        if (++v->depth > 64)
            return false;
        v->p++;
        bool ok = jv_container(v, c == '{');
        v->depth--;
        return ok;
    }
    if (c == '"')
        return jv_string(v);
    if (c == '-' || isdigit((unsigned char)c))
        return jv_number(v);
    return jv_literal(v, "true") || jv_literal(v, "false") || jv_literal(v, "null");
}

static bool json_valid(const char *text)
{
    struct jv v = {text, 0};
    if (!jv_value(&v))
        return false;
    jv_ws(&v);
    return *v.p == 0;
}

static void test_validator(void **state)
{
    (void)state;
    assert_true(json_valid("{\"a\": [1, -0.5, 2e10, true, null, \"x\\u00e9\\n\"], \"b\": {}}"));
    assert_true(json_valid(" [] "));
    assert_false(json_valid("{\"a\": 1,}"));
    assert_false(json_valid("[01]"));
    assert_false(json_valid("[1.]"));
    assert_false(json_valid("\"a\nb\""));
    assert_false(json_valid("\"\\x\""));
    assert_false(json_valid("{\"a\" 1}"));
    assert_false(json_valid("[1] 2"));
    assert_false(json_valid("[nul]"));
    assert_false(json_valid("{\"a\": [}"));
}

/* ---- the JSON writer ----------------------------------------------------------------- */

static void test_json_writer(void **state)
{
    (void)state;
    struct capture c;
    cap_open(&c);
    struct scn_json w;
    scn_json_init(&w, c.f);
    scn_json_begin_object(&w);
    scn_json_kstring(&w, "s", "q\"b\\n\nt\t\x01\x7f \xc3\xa9 \xff \xed\xa0\x80 end");
    scn_json_kdouble(&w, "d", 1.0 / 3.0, 6);
    scn_json_kdouble(&w, "negzero", -0.0, 3);
    scn_json_kdouble(&w, "nan", 0.0 / 0.0, 3);
    scn_json_key(&w, "t");
    scn_json_seconds(&w, 1234567891ull, 6);
    scn_json_key(&w, "empty");
    scn_json_begin_array(&w);
    scn_json_end_array(&w);
    scn_json_key(&w, "list");
    scn_json_begin_array(&w);
    scn_json_uint(&w, UINT64_MAX);
    scn_json_bool(&w, false);
    scn_json_string(&w, NULL);
    scn_json_end_array(&w);
    scn_json_end_object(&w);
    assert_int_equal(scn_json_finish(&w), 0);
    cap_close(&c);
    const char *want = "{\n"
                       "  \"s\": \"q\\\"b\\\\n\\nt\\t\\u0001\\u007f \xc3\xa9 \\ufffd "
                       "\\ufffd\\ufffd\\ufffd end\",\n"
                       "  \"d\": 0.333333,\n"
                       "  \"negzero\": 0.000,\n"
                       "  \"nan\": null,\n"
                       "  \"t\": 1.234567,\n"
                       "  \"empty\": [],\n"
                       "  \"list\": [\n"
                       "    18446744073709551615,\n"
                       "    false,\n"
                       "    null\n"
                       "  ]\n"
                       "}\n";
    assert_string_equal(c.text, want);
    assert_true(json_valid(c.text));
    free(c.text);
}

static void test_json_writer_misuse(void **state)
{
    (void)state;
    struct capture c;
    cap_open(&c);
    struct scn_json w;
    scn_json_init(&w, c.f);
    scn_json_begin_object(&w);
    scn_json_uint(&w, 1); /* a value where a key is due */
    scn_json_end_object(&w);
    assert_int_equal(scn_json_finish(&w), -1);

    scn_json_init(&w, c.f);
    scn_json_begin_array(&w);
    scn_json_key(&w, "k"); /* a key in an array */
    assert_int_equal(scn_json_finish(&w), -1);

    scn_json_init(&w, c.f);
    scn_json_begin_array(&w); /* never closed */
    assert_int_equal(scn_json_finish(&w), -1);

    scn_json_init(&w, c.f);
    for (int i = 0; i <= SCN_JSON_MAX_DEPTH; i++)
        scn_json_begin_array(&w);
    assert_int_equal(scn_json_finish(&w), -1);
    cap_close(&c);
    free(c.text);
}

/* ---- the reports --------------------------------------------------------------------- */

static char *report_text(const struct scn_report *rep)
{
    struct capture c;
    cap_open(&c);
    scn_report_text(c.f, rep);
    cap_close(&c);
    return c.text;
}

static void test_text(void **state)
{
    struct fixture *fx = *state;
    char *t = report_text(&fx->rep);
    dump(t);
    assert_contains(t, "scenario wifi-lte (preset wifi-lte): a phone with \"WiFi\" and LTE");
    assert_contains(t, "download  phone -> server   download");
    assert_contains(t, "28.41 Mbit/s     100000000    28.158       12  MPTCP");
    assert_contains(t, "complete\n");
    assert_contains(t, "TCP (fallback: middlebox said \"no\" stripped)");
    assert_contains(t, "intact (sent until the end)\n");
    assert_contains(t, "4.67 Mbit/s");
    /* subflows: link, addresses, flags, share, bytes, srtt, retrans */
    assert_contains(t, "wifi  10.0.1.1:40000 -> 10.0.9.1:5202  -             66.9%");
    assert_contains(t, "lte   10.0.2.1:40001 -> 10.0.9.1:5202  join,backup   33.1%");
    assert_contains(t, "33100000      81.5        9\n");
    assert_contains(t, "flow download: MPTCP 28.41 Mbit/s  |  TCP on wifi alone 19.02  |  TCP "
                       "on lte alone 9.47  |  gain 1.49x over the best path, 1.00x of their "
                       "sum\n");
    assert_null(strstr(t, "flow plain: MPTCP")); /* no baselines for it */
    assert_contains(t, "simulated 30.0 s of 30.0 s in 1.4 s (21x real time), 1234567 events, "
                       "seed 7\n");
    free(t);
}

static void test_text_failed_flow_no_baselines(void **state)
{
    struct fixture *fx = *state;
    fx->r.flow[1].intact = false;
    fx->r.flow[0].complete = false;
    snprintf(fx->r.flow[0].error, sizeof(fx->r.flow[0].error), "connection reset");
    struct scn_report rep = {&fx->s, &fx->r, NULL, 0};
    char *t = report_text(&rep);
    assert_contains(t, "FAILED: connection reset\n");
    assert_contains(t, "FAILED: bytes arrived that differ from those sent\n");
    assert_null(strstr(t, "gain"));
    free(t);
}

static char *report_json(const struct scn_report *rep, size_t *len)
{
    struct capture c;
    cap_open(&c);
    assert_int_equal(scn_report_json(c.f, rep), 0);
    cap_close(&c);
    *len = c.len;
    return c.text;
}

static void test_json(void **state)
{
    struct fixture *fx = *state;
    size_t len1, len2;
    char *j1 = report_json(&fx->rep, &len1);
    char *j2 = report_json(&fx->rep, &len2);
    dump(j1);
    assert_int_equal(len1, len2);
    assert_memory_equal(j1, j2, len1);
    if (!json_valid(j1))
        fail_msg("not valid JSON:\n%s", j1);

    assert_contains(j1, "\"description\": \"a phone\\twith \\\"WiFi\\\" and LTE \\\\o/\"");
    assert_contains(j1, "\"seed\": 7,\n    \"duration_s\": 30.000000\n  },\n"
                        "  \"failure\": null,\n  \"end_s\": 30.000000,\n"
                        "  \"events\": 1234567,\n");
    assert_contains(j1, "\"fallback\": \"middlebox said \\\"no\\\"\\nstripped\"");
    assert_contains(j1, "\"name\": \"download\",\n      \"client\": \"phone\",\n"
                        "      \"server\": \"server\",\n      \"direction\": \"download\",\n"
                        "      \"mptcp_requested\": true,\n"
                        "      \"bytes_requested\": 100000000,\n      \"mptcp\": true,\n"
                        "      \"fallback\": null,\n      \"state\": \"complete\",\n");
    assert_contains(j1, "\"done_s\": 28.158000,\n      \"goodput_mbps\": 28.410000,");
    assert_contains(j1, "\"sha256_sent\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
                        "aaaaaaaaaaa\"");
    assert_contains(j1, "\"link\": \"lte\",\n          \"local\": \"10.0.2.1:40001\",\n"
                        "          \"remote\": \"10.0.9.1:5202\",\n          \"seen_as\": null,\n"
                        "          \"join\": true,\n"
                        "          \"backup\": true,\n          \"bytes_acked\": 33100000,\n"
                        "          \"share\": 0.331000,\n          \"srtt_ms\": 81.500,\n"
                        "          \"cwnd_bytes\": 64000,\n          \"retrans_segs\": 9\n");
    assert_contains(j1, "\"gain\": {\n        \"best_link\": \"wifi\",\n"
                        "        \"best_mbps\": 19.020000,\n        \"sum_mbps\": 28.490000,\n"
                        "        \"over_best\": 1.493691,\n        \"of_sum\": 0.997192\n");
    assert_contains(j1, "\"state\": \"incomplete\"");
    assert_contains(j1, "\"done_s\": null");
    assert_contains(j1, "\"gain\": null");
    assert_contains(j1, "\"drops\": {\n          \"queue\": {\n            \"packets\": 600,");
    assert_contains(j1, "\"mean_delay_ms\": 25.000");
    assert_contains(j1, "\"flow\": \"download\",\n      \"link\": \"lte\",\n"
                        "      \"addr\": \"10.0.2.1\",\n      \"goodput_mbps\": 9.470000,");
    assert_null(strstr(j1, "wall"));
    free(j1);
    free(j2);
}

static void test_json_write_error(void **state)
{
    struct fixture *fx = *state;
    FILE *f = fopen("/dev/full", "w");
    if (f == NULL)
        skip();
    assert_int_equal(scn_report_json(f, &fx->rep), UMPTCP_ERR_IO);
    fclose(f);
}

static void test_csv(void **state)
{
    struct fixture *fx = *state;
    struct capture c;
    cap_open(&c);
    assert_int_equal(scn_report_csv(c.f, &fx->rep), 0);
    cap_close(&c);
    const char *head = "time_s,flow,subflow,link,throughput_mbps,cwnd_bytes,srtt_ms\n"
                       "0.100,download,all,,5.470000,,\n"
                       "0.100,download,0,wifi,3.650000,61000,42.123\n"
                       "0.100,download,1,lte,1.820000,82000,81.500\n"
                       "0.100,plain,all,,1.000000,,\n"
                       "0.100,plain,0,wifi,1.000000,30000,20.000\n"
                       "0.200,download,all,";
    assert_memory_equal(c.text, head, strlen(head));
    size_t lines = 0;
    for (size_t i = 0; i < c.len; i++)
        lines += c.text[i] == '\n';
    assert_int_equal(lines, fx->r.nsamples + 1);
    assert_contains(c.text, "\n30.000,plain,0,wifi,5.000000,30000,20.000\n");
    free(c.text);
}

/* ---- the plot ------------------------------------------------------------------------ */

static void require_gnuplot(void)
{
    if (tu_have_command("gnuplot"))
        return;
    const char *ci = getenv("CI");
    if (ci != NULL && strcmp(ci, "true") == 0)
        fail_msg("gnuplot is not installed (CI installs gnuplot-nox)");
    skip();
}

/* Where the drawings go: $SCN_PLOT_KEEP (to look at them) or the test's private dir. */
static void plot_path(char *buf, size_t len, const char *name)
{
    const char *keep = getenv("SCN_PLOT_KEEP");
    snprintf(buf, len, "%s/%s", keep != NULL ? keep : tu_tmpdir(), name);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = malloc(1 << 22);
    assert_non_null(buf);
    *len = fread(buf, 1, (1 << 22) - 1, f);
    buf[*len] = 0;
    fclose(f);
    return buf;
}

static void test_plot_svg_png(void **state)
{
    struct fixture *fx = *state;
    require_gnuplot();
    char path[512], err[256] = "";
    size_t len;
    plot_path(path, sizeof(path), "wifi-lte.svg");
    if (scn_plot(path, &fx->rep, err, sizeof(err)) != 0)
        fail_msg("svg: %s", err);
    char *svg = slurp(path, &len);
    assert_contains(svg, "<svg");
    assert_contains(svg, "download wifi");
    assert_contains(svg, "download (total)");
    assert_contains(svg, "cwnd (KB)");
    free(svg);

    plot_path(path, sizeof(path), "wifi-lte.png");
    if (scn_plot(path, &fx->rep, err, sizeof(err)) != 0)
        fail_msg("png: %s", err);
    char *png = slurp(path, &len);
    assert_true(len > 8);
    assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
    free(png);
}

static void test_plot_errors(void **state)
{
    struct fixture *fx = *state;
    char path[512], err[256] = "";
    plot_path(path, sizeof(path), "x.jpg");
    assert_int_equal(scn_plot(path, &fx->rep, err, sizeof(err)), UMPTCP_ERR_INVAL);
    assert_string_equal(err, "unknown plot format '.jpg': use .svg or .png");

    plot_path(path, sizeof(path), "x.svg");
    size_t n = fx->r.nsamples;
    fx->r.nsamples = 0;
    assert_int_equal(scn_plot(path, &fx->rep, err, sizeof(err)), UMPTCP_ERR_INVAL);
    assert_string_equal(err, "nothing to plot: the run recorded no samples");
    fx->r.nsamples = n;

    /* one sample at time 0, of a flow the scenario does not have: still a drawing */
    if (tu_have_command("gnuplot")) {
        struct scn_sample one = {0, 5, 0, 1e6, 1000, 1000};
        struct scn_sample *samples = fx->r.samples;
        fx->r.samples = &one;
        fx->r.nsamples = 1;
        plot_path(path, sizeof(path), "one.svg");
        int rc = scn_plot(path, &fx->rep, err, sizeof(err));
        fx->r.samples = samples;
        fx->r.nsamples = n;
        if (rc != 0)
            fail_msg("one sample: %s", err);
    }

    /* gnuplot itself failing: an output file it cannot open */
    if (tu_have_command("gnuplot")) {
        assert_int_equal(scn_plot("/nonexistent-dir/x.svg", &fx->rep, err, sizeof(err)),
                         UMPTCP_ERR_IO);
        assert_contains(err, "gnuplot failed (exit status ");
    }
}

static void test_plot_not_found(void **state)
{
    struct fixture *fx = *state;
    char empty[512], path[512], err[256] = "";
    snprintf(empty, sizeof(empty), "%s/empty-path", tu_tmpdir());
    mkdir(empty, 0700);
    const char *old = getenv("PATH");
    char *saved = old != NULL ? strdup(old) : NULL;
    setenv("PATH", empty, 1);
    plot_path(path, sizeof(path), "x.svg");
    int rc = scn_plot(path, &fx->rep, err, sizeof(err));
    if (saved != NULL)
        setenv("PATH", saved, 1);
    else
        unsetenv("PATH");
    free(saved);
    assert_int_equal(rc, UMPTCP_ERR_NOTFOUND);
    assert_string_equal(err,
                        "gnuplot not found: install it (apt-get install gnuplot-nox) or leave out "
                        "--plot");
}

/* The plot removes its temporary files. */
static void test_plot_cleans_up(void **state)
{
    struct fixture *fx = *state;
    require_gnuplot();
    char tmp[512], path[512], err[256] = "";
    snprintf(tmp, sizeof(tmp), "%s/tmp", tu_tmpdir());
    mkdir(tmp, 0700);
    const char *old = getenv("TMPDIR");
    char *saved = old != NULL ? strdup(old) : NULL;
    setenv("TMPDIR", tmp, 1);
    plot_path(path, sizeof(path), "clean.png");
    int rc = scn_plot(path, &fx->rep, err, sizeof(err));
    if (saved != NULL)
        setenv("TMPDIR", saved, 1);
    else
        unsetenv("TMPDIR");
    free(saved);
    assert_int_equal(rc, 0);
    assert_int_equal(rmdir(tmp), 0); /* fails when not empty */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_validator),
        cmocka_unit_test(test_json_writer),
        cmocka_unit_test(test_json_writer_misuse),
        cmocka_unit_test_setup_teardown(test_text, setup, teardown),
        cmocka_unit_test_setup_teardown(test_text_failed_flow_no_baselines, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json, setup, teardown),
        cmocka_unit_test_setup_teardown(test_json_write_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_csv, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plot_svg_png, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plot_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plot_not_found, setup, teardown),
        cmocka_unit_test_setup_teardown(test_plot_cleans_up, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
