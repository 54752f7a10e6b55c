/* The JSON writer behind the tools' --stats files (tools/umptcp/stats_json.c, compiled into
 * this test): layout, RFC 8259 string escaping (quote, backslash, control characters), bytes
 * that are not UTF-8 replaced by U+FFFD while valid UTF-8 passes, misuse reported, and the
 * members written for a connection, its MPTCP level and a subflow. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tools/umptcp/stats_json.c"

struct doc {
    char *text;
    size_t len;
    FILE *f;
    struct stats_json w;
};

static void doc_open(struct doc *d)
{
    memset(d, 0, sizeof(*d));
    d->f = open_memstream(&d->text, &d->len);
    assert_non_null(d->f);
    stats_json_init(&d->w, d->f);
}

/* Finishes and returns stats_json_finish()'s result; the text stays in d->text. */
static int doc_close(struct doc *d)
{
    int rc = stats_json_finish(&d->w);
    assert_int_equal(fclose(d->f), 0);
    return rc;
}

static void test_layout(void **state)
{
    (void)state;
    struct doc d;
    doc_open(&d);
    stats_json_begin_object(&d.w);
    stats_json_key(&d.w, "n");
    stats_json_uint(&d.w, UINT64_MAX);
    stats_json_key(&d.w, "neg");
    stats_json_int(&d.w, -5);
    stats_json_key(&d.w, "list");
    stats_json_begin_array(&d.w);
    stats_json_bool(&d.w, true);
    stats_json_null(&d.w);
    stats_json_begin_object(&d.w);
    stats_json_end_object(&d.w);
    stats_json_end_array(&d.w);
    stats_json_key(&d.w, "empty");
    stats_json_begin_array(&d.w);
    stats_json_end_array(&d.w);
    stats_json_end_object(&d.w);
    assert_int_equal(doc_close(&d), 0);
    assert_string_equal(d.text, "{\n"
                                "  \"n\": 18446744073709551615,\n"
                                "  \"neg\": -5,\n"
                                "  \"list\": [\n"
                                "    true,\n"
                                "    null,\n"
                                "    {}\n"
                                "  ],\n"
                                "  \"empty\": []\n"
                                "}\n");
    free(d.text);
}

static void test_string_escapes(void **state)
{
    (void)state;
    struct doc d;
    doc_open(&d);
    stats_json_begin_array(&d.w);
    stats_json_string(&d.w, "q\"b\\s/");
    stats_json_string(&d.w, "\n\r\t\b\f\x01\x1f\x7f");
    stats_json_string_n(&d.w, "a\0b", 3);
    stats_json_string(&d.w, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"); /* é € 😀 */
    stats_json_string(&d.w, NULL);
    stats_json_end_array(&d.w);
    assert_int_equal(doc_close(&d), 0);
    assert_string_equal(d.text, "[\n"
                                "  \"q\\\"b\\\\s/\",\n"
                                "  \"\\n\\r\\t\\b\\f\\u0001\\u001f\\u007f\",\n"
                                "  \"a\\u0000b\",\n"
                                "  \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\",\n"
                                "  null\n"
                                "]\n");
    free(d.text);
}

/* RFC 3629: lone continuation bytes, truncated sequences, overlong forms, surrogates and
 * code points above U+10FFFF are not UTF-8: each offending byte becomes U+FFFD. */
static void test_invalid_utf8(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        const char *out;
    } cases[] = {
        {"\x80", "\"\\ufffd\""},
        {"a\xc3", "\"a\\ufffd\""},
        {"\xc0\xaf", "\"\\ufffd\\ufffd\""},
        {"\xe0\x80\xaf", "\"\\ufffd\\ufffd\\ufffd\""},
        {"\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""},
        {"\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""},
        {"\xff", "\"\\ufffd\""},
        {"\xe2\x82", "\"\\ufffd\\ufffd\""},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct doc d;
        doc_open(&d);
        stats_json_string(&d.w, cases[i].in);
        assert_int_equal(doc_close(&d), 0);
        char want[64];
        snprintf(want, sizeof(want), "%s\n", cases[i].out);
        assert_string_equal(d.text, want);
        free(d.text);
    }
}

static void test_keys_are_escaped(void **state)
{
    (void)state;
    struct doc d;
    doc_open(&d);
    stats_json_begin_object(&d.w);
    stats_json_key(&d.w, "we\"ird\n");
    stats_json_uint(&d.w, 1);
    stats_json_end_object(&d.w);
    assert_int_equal(doc_close(&d), 0);
    assert_string_equal(d.text, "{\n  \"we\\\"ird\\n\": 1\n}\n");
    free(d.text);
}

static void test_misuse_is_reported(void **state)
{
    (void)state;
    struct doc d;
    /* A value where a key is due. */
    doc_open(&d);
    stats_json_begin_object(&d.w);
    stats_json_uint(&d.w, 1);
    stats_json_end_object(&d.w);
    assert_int_equal(doc_close(&d), -1);
    free(d.text);
    /* Unbalanced. */
    doc_open(&d);
    stats_json_begin_array(&d.w);
    assert_int_equal(doc_close(&d), -1);
    free(d.text);
    /* Wrong closer, key outside an object, key without value. */
    doc_open(&d);
    stats_json_begin_array(&d.w);
    stats_json_end_object(&d.w);
    assert_int_equal(doc_close(&d), -1);
    free(d.text);
    doc_open(&d);
    stats_json_key(&d.w, "k");
    assert_int_equal(doc_close(&d), -1);
    free(d.text);
    doc_open(&d);
    stats_json_begin_object(&d.w);
    stats_json_key(&d.w, "k");
    stats_json_end_object(&d.w);
    assert_int_equal(doc_close(&d), -1);
    free(d.text);
    /* Too deep. */
    doc_open(&d);
    for (int i = 0; i <= STATS_JSON_MAX_DEPTH; i++)
        stats_json_begin_array(&d.w);
    for (int i = 0; i <= STATS_JSON_MAX_DEPTH; i++)
        stats_json_end_array(&d.w);
    assert_int_equal(doc_close(&d), -1);
    free(d.text);
}

static void test_conn_info_members(void **state)
{
    (void)state;
    umptcp_conn_info info;
    memset(&info, 0, sizeof(info));
    info.state = UMPTCP_STATE_ESTABLISHED;
    assert_int_equal(umptcp_addr_parse(&info.local.addr, "10.0.0.2"), 0);
    info.local.port = 40000;
    assert_int_equal(umptcp_addr_parse(&info.remote.addr, "fd00::1"), 0);
    info.remote.port = 80;
    info.bytes_sent = 1000;
    info.bytes_acked = 900;
    info.bytes_received = 5;
    info.retrans_segs = 3;
    info.srtt_us = 1234;
    info.cwnd = 14480;
    info.cc = "cubic";
    info.error = -18; /* UMPTCP_ERR_RESET */
    struct doc d;
    doc_open(&d);
    stats_json_begin_object(&d.w);
    stats_json_conn_info_members(&d.w, &info);
    stats_json_end_object(&d.w);
    assert_int_equal(doc_close(&d), 0);
    static const char *const wanted[] = {
        "\"local\": {\n    \"address\": \"10.0.0.2\",\n    \"port\": 40000\n  }",
        "\"remote\": {\n    \"address\": \"fd00::1\",\n    \"port\": 80\n  }",
        "\"state\": \"ESTABLISHED\"",
        "\"bytes_sent\": 1000,",
        "\"bytes_acked\": 900,",
        "\"bytes_received\": 5,",
        "\"retrans_segs\": 3,",
        "\"srtt_us\": 1234,",
        "\"cwnd\": 14480,",
        "\"cc\": \"cubic\",",
        "\"error\": \"",
    };
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
        if (strstr(d.text, wanted[i]) == NULL)
            fail_msg("missing <%s> in:\n%s", wanted[i], d.text);
    free(d.text);
}

/* The MPTCP members of a connection: in use, or the fallback reason; tokens as numbers. */
static void test_mptcp_members(void **state)
{
    (void)state;
    umptcp_mptcp_info m;
    memset(&m, 0, sizeof(m));
    m.requested = m.mptcp = true;
    m.local_token = 0xfc396fe9;
    m.remote_token = 7;
    m.max_subflows = 8;
    m.sched = "minrtt";
    m.pm = "fullmesh";
    m.remote_addrs = 1;
    struct doc d;
    doc_open(&d);
    stats_json_begin_object(&d.w);
    stats_json_mptcp_members(&d.w, &m);
    stats_json_end_object(&d.w);
    assert_int_equal(doc_close(&d), 0);
    assert_string_equal(d.text, "{\n"
                                "  \"mptcp\": true,\n"
                                "  \"fallback\": null,\n"
                                "  \"checksum\": false,\n"
                                "  \"local_token\": 4231622633,\n"
                                "  \"remote_token\": 7,\n"
                                "  \"max_subflows\": 8,\n"
                                "  \"sched\": \"minrtt\",\n"
                                "  \"pm\": \"fullmesh\",\n"
                                "  \"remote_addrs\": 1,\n"
                                "  \"announced\": 0\n"
                                "}\n");
    free(d.text);
    /* Fallen back: the reason as a string, no scheduler or path manager. */
    memset(&m, 0, sizeof(m));
    m.requested = true;
    m.fallback = "no MP_CAPABLE on the SYN/ACK";
    doc_open(&d);
    stats_json_begin_object(&d.w);
    stats_json_mptcp_members(&d.w, &m);
    stats_json_end_object(&d.w);
    assert_int_equal(doc_close(&d), 0);
    static const char *const wanted[] = {"\"mptcp\": false,",
                                         "\"fallback\": \"no MP_CAPABLE on the SYN/ACK\",",
                                         "\"sched\": null,", "\"pm\": null,"};
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
        if (strstr(d.text, wanted[i]) == NULL)
            fail_msg("missing <%s> in:\n%s", wanted[i], d.text);
    free(d.text);
}

/* A subflow: its MPTCP flags and IDs first, then its TCP connection's members. */
static void test_subflow_members(void **state)
{
    (void)state;
    umptcp_subflow_info sf;
    memset(&sf, 0, sizeof(sf));
    sf.join = true;
    sf.usable = true;
    sf.backup = true;
    sf.local_id = 2;
    sf.remote_id = 5;
    sf.id = 3;
    assert_int_equal(umptcp_addr_parse(&sf.tcp.local.addr, "10.0.1.2"), 0);
    sf.tcp.local.port = 50000;
    assert_int_equal(umptcp_addr_parse(&sf.tcp.remote.addr, "10.0.0.1"), 0);
    sf.tcp.remote.port = 5000;
    sf.tcp.state = UMPTCP_STATE_ESTABLISHED;
    sf.tcp.bytes_sent = 123;
    sf.tcp.retrans_segs = 4;
    sf.tcp.srtt_us = 900;
    sf.tcp.cc = "cubic";
    struct doc d;
    doc_open(&d);
    stats_json_begin_object(&d.w);
    stats_json_subflow_members(&d.w, &sf);
    stats_json_end_object(&d.w);
    assert_int_equal(doc_close(&d), 0);
    const char *want_head = "{\n"
                            "  \"id\": 3,\n"
                            "  \"initial\": false,\n"
                            "  \"join\": true,\n"
                            "  \"usable\": true,\n"
                            "  \"local_id\": 2,\n"
                            "  \"remote_id\": 5,\n"
                            "  \"backup\": true,\n"
                            "  \"peer_backup\": false,\n"
                            "  \"local\": {\n"
                            "    \"address\": \"10.0.1.2\",\n"
                            "    \"port\": 50000\n"
                            "  },\n";
    if (strncmp(d.text, want_head, strlen(want_head)) != 0)
        fail_msg("got:\n%s", d.text);
    static const char *const wanted[] = {"\"bytes_sent\": 123,", "\"retrans_segs\": 4,",
                                         "\"srtt_us\": 900,", "\"error\": null\n}"};
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
        if (strstr(d.text, wanted[i]) == NULL)
            fail_msg("missing <%s> in:\n%s", wanted[i], d.text);
    free(d.text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),
        cmocka_unit_test(test_string_escapes),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_keys_are_escaped),
        cmocka_unit_test(test_misuse_is_reported),
        cmocka_unit_test(test_conn_info_members),
        cmocka_unit_test(test_mptcp_members),
        cmocka_unit_test(test_subflow_members),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
