/* The stack's input path: local addresses, parse-failure counters, and the RFC 9293
 * 3.10.7.1 answer to segments for which no connection exists. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "umptcp/error.h"
#include "umptcp/stack.h"
#include "wire/segment.h"
#include "wire/tcp.h"

#include <string.h>

struct capture {
    int calls;
    int ifindex;
    int fail_with; /* returned by the send callback when non-zero */
    uint8_t pkt[2048];
    size_t len;
};

static int capture_send(void *user, int ifindex, const uint8_t *pkt, size_t len)
{
    struct capture *c = user;
    c->calls++;
    c->ifindex = ifindex;
    c->len = len < sizeof(c->pkt) ? len : sizeof(c->pkt);
    memcpy(c->pkt, pkt, c->len);
    return c->fail_with;
}

static void fixed_random(void *user, uint8_t *buf, size_t n)
{
    (void)user;
    memset(buf, 0x5a, n);
}

static const umptcp_callbacks callbacks = {.send = capture_send, .random = fixed_random};

static uint64_t counter(const umptcp_stack *s, const char *name)
{
    uint64_t v = 0;
    assert_int_equal(umptcp_stack_counter(s, name, &v), UMPTCP_OK);
    return v;
}

static umptcp_sockaddr sockaddr(const char *text, uint16_t port)
{
    umptcp_sockaddr sa = {.port = port};
    assert_int_equal(umptcp_addr_parse(&sa.addr, text), UMPTCP_OK);
    return sa;
}

/* Builds a segment from a peer to the stack into buf. */
static size_t make_segment(uint8_t *buf, size_t cap, const char *from, const char *to,
                           uint8_t flags, uint32_t seq, uint32_t ack, size_t payload_len)
{
    static const uint8_t payload[100] = {1, 2, 3};
    struct wire_segment_spec spec = {.src = sockaddr(from, 40000),
                                     .dst = sockaddr(to, 5201),
                                     .seq = seq,
                                     .ack = ack,
                                     .flags = flags,
                                     .window = 1000,
                                     .payload = payload,
                                     .payload_len = payload_len};
    size_t len = 0;
    assert_int_equal(wire_segment_build(&spec, buf, cap, &len), UMPTCP_OK);
    return len;
}

static umptcp_stack *new_stack(struct capture *cap)
{
    umptcp_stack *s = NULL;
    assert_int_equal(umptcp_stack_new(&s, NULL, &callbacks, cap), UMPTCP_OK);
    umptcp_addr a;
    assert_int_equal(umptcp_addr_parse(&a, "10.0.0.2"), UMPTCP_OK);
    assert_int_equal(umptcp_stack_add_address(s, 3, &a), UMPTCP_OK);
    assert_int_equal(umptcp_addr_parse(&a, "fd00::2"), UMPTCP_OK);
    assert_int_equal(umptcp_stack_add_address(s, 4, &a), UMPTCP_OK);
    return s;
}

static void test_new_requires_callbacks(void **state)
{
    (void)state;
    umptcp_stack *s = (umptcp_stack *)1;
    umptcp_callbacks cb = {.send = capture_send};
    assert_int_equal(umptcp_stack_new(&s, NULL, &cb, NULL), UMPTCP_ERR_INVAL);
    assert_null(s);
    assert_int_equal(umptcp_stack_new(&s, NULL, NULL, NULL), UMPTCP_ERR_INVAL);
    assert_int_equal(umptcp_stack_new(NULL, NULL, &callbacks, NULL), UMPTCP_ERR_INVAL);
}

static void test_address_table(void **state)
{
    (void)state;
    struct capture cap = {0};
    umptcp_stack *s = new_stack(&cap);
    umptcp_addr a;
    assert_int_equal(umptcp_addr_parse(&a, "10.0.0.2"), UMPTCP_OK);
    assert_int_equal(umptcp_stack_add_address(s, 5, &a), UMPTCP_ERR_EXISTS);
    assert_int_equal(umptcp_stack_add_address(s, 0, &a), UMPTCP_ERR_INVAL);
    umptcp_addr none = {0};
    assert_int_equal(umptcp_stack_add_address(s, 5, &none), UMPTCP_ERR_INVAL);
    /* Per-interface and per-stack bounds. */
    for (int i = 0; i < UMPTCP_MAX_IFACE_ADDRS - 1; i++) {
        a.bytes[3] = (uint8_t)(10 + i);
        assert_int_equal(umptcp_stack_add_address(s, 3, &a), UMPTCP_OK);
    }
    a.bytes[3] = 99;
    assert_int_equal(umptcp_stack_add_address(s, 3, &a), UMPTCP_ERR_NOMEM);
    for (int i = 0; i < UMPTCP_MAX_INTERFACES - 2; i++) {
        a.bytes[2] = (uint8_t)(1 + i);
        assert_int_equal(umptcp_stack_add_address(s, 100 + i, &a), UMPTCP_OK);
    }
    a.bytes[2] = 200;
    assert_int_equal(umptcp_stack_add_address(s, 999, &a), UMPTCP_ERR_NOMEM);
    /* Removing frees the slot again. */
    a.bytes[2] = 1;
    assert_int_equal(umptcp_stack_remove_address(s, &a), UMPTCP_OK);
    assert_int_equal(umptcp_stack_remove_address(s, &a), UMPTCP_ERR_NOTFOUND);
    a.bytes[2] = 200;
    assert_int_equal(umptcp_stack_add_address(s, 999, &a), UMPTCP_OK);
    umptcp_stack_free(s);
}

/* A SYN to a port nobody listens on: <SEQ=0><ACK=SEG.SEQ+1><CTL=RST,ACK>, back out of the
 * interface it came in on, addresses and ports swapped. */
static void check_syn_refused(const char *peer, const char *local, int ifindex)
{
    struct capture cap = {0};
    umptcp_stack *s = new_stack(&cap);
    uint8_t pkt[200];
    size_t len = make_segment(pkt, sizeof(pkt), peer, local, WIRE_TCP_SYN, 0xfffffff0u, 0, 0);
    assert_int_equal(umptcp_stack_input(s, ifindex, pkt, len, 1000), UMPTCP_OK);
    assert_int_equal(cap.calls, 1);
    assert_int_equal(cap.ifindex, ifindex);
    struct wire_segment rst;
    assert_int_equal(wire_segment_parse(cap.pkt, cap.len, &rst), UMPTCP_OK);
    assert_int_equal(rst.tcp.flags, WIRE_TCP_RST | WIRE_TCP_ACK);
    assert_int_equal(rst.tcp.seq, 0);
    assert_int_equal(rst.tcp.ack, 0xfffffff1u);
    assert_int_equal(rst.tcp.sport, 5201);
    assert_int_equal(rst.tcp.dport, 40000);
    assert_int_equal(rst.tcp.payload_len, 0);
    umptcp_sockaddr p = sockaddr(peer, 0), l = sockaddr(local, 0);
    assert_true(umptcp_addr_equal(&rst.ip.src, &l.addr));
    assert_true(umptcp_addr_equal(&rst.ip.dst, &p.addr));
    assert_int_equal(counter(s, "TcpInSegs"), 1);
    assert_int_equal(counter(s, "TcpInNoSocket"), 1);
    assert_int_equal(counter(s, "TcpOutRsts"), 1);
    assert_int_equal(counter(s, "TcpOutSegs"), 1);
    umptcp_stack_free(s);
}

static void test_syn_to_closed_port_v4(void **state)
{
    (void)state;
    check_syn_refused("10.0.0.1", "10.0.0.2", 3);
}

static void test_syn_to_closed_port_v6(void **state)
{
    (void)state;
    check_syn_refused("fd00::1", "fd00::2", 4);
}

/* SEG.LEN counts the data and the SYN and FIN flags; with ACK set the reset takes SEG.ACK. */
static void test_reset_sequence_numbers(void **state)
{
    (void)state;
    struct capture cap = {0};
    umptcp_stack *s = new_stack(&cap);
    uint8_t pkt[300];
    struct wire_segment rst;
    size_t len = make_segment(pkt, sizeof(pkt), "10.0.0.1", "10.0.0.2", WIRE_TCP_SYN | WIRE_TCP_FIN,
                              1000, 0, 100);
    assert_int_equal(umptcp_stack_input(s, 3, pkt, len, 0), UMPTCP_OK);
    assert_int_equal(wire_segment_parse(cap.pkt, cap.len, &rst), UMPTCP_OK);
    assert_int_equal(rst.tcp.ack, 1000 + 100 + 2);
    assert_int_equal(rst.tcp.flags, WIRE_TCP_RST | WIRE_TCP_ACK);

    len = make_segment(pkt, sizeof(pkt), "10.0.0.1", "10.0.0.2", WIRE_TCP_ACK | WIRE_TCP_PSH, 5000,
                       0x12345678u, 50);
    assert_int_equal(umptcp_stack_input(s, 3, pkt, len, 0), UMPTCP_OK);
    assert_int_equal(cap.calls, 2);
    assert_int_equal(wire_segment_parse(cap.pkt, cap.len, &rst), UMPTCP_OK);
    assert_int_equal(rst.tcp.flags, WIRE_TCP_RST);
    assert_int_equal(rst.tcp.seq, 0x12345678u);
    assert_int_equal(counter(s, "TcpOutRsts"), 2);
    umptcp_stack_free(s);
}

/* A reset is never answered with a reset. */
static void test_reset_is_not_answered(void **state)
{
    (void)state;
    struct capture cap = {0};
    umptcp_stack *s = new_stack(&cap);
    uint8_t pkt[200];
    size_t len = make_segment(pkt, sizeof(pkt), "10.0.0.1", "10.0.0.2", WIRE_TCP_RST, 1, 0, 0);
    assert_int_equal(umptcp_stack_input(s, 3, pkt, len, 0), UMPTCP_OK);
    assert_int_equal(cap.calls, 0);
    assert_int_equal(counter(s, "TcpInNoSocketRst"), 1);
    assert_int_equal(counter(s, "TcpOutRsts"), 0);
    umptcp_stack_free(s);
}

/* Bad packets are dropped, counted under the right name, and never answered. */
static void test_bad_packets_are_counted(void **state)
{
    (void)state;
    struct capture cap = {0};
    umptcp_stack *s = new_stack(&cap);
    uint8_t pkt[200];
    size_t len = make_segment(pkt, sizeof(pkt), "10.0.0.1", "10.0.0.9", WIRE_TCP_SYN, 1, 0, 0);
    assert_int_equal(umptcp_stack_input(s, 3, pkt, len, 0), UMPTCP_ERR_NOTFOUND);
    assert_int_equal(counter(s, "IpInAddrErrors"), 1);

    len = make_segment(pkt, sizeof(pkt), "10.0.0.1", "10.0.0.2", WIRE_TCP_SYN, 1, 0, 10);
    pkt[len - 1] ^= 0xff; /* payload byte: TCP checksum fails */
    assert_int_equal(umptcp_stack_input(s, 3, pkt, len, 0), UMPTCP_ERR_BAD_CHECKSUM);
    assert_int_equal(counter(s, "TcpInCsumErrors"), 1);

    len = make_segment(pkt, sizeof(pkt), "10.0.0.1", "10.0.0.2", WIRE_TCP_SYN, 1, 0, 0);
    pkt[9] = 17; /* UDP: the IPv4 header checksum no longer matches either */
    assert_true(umptcp_stack_input(s, 3, pkt, len, 0) < 0);
    assert_int_equal(counter(s, "IpInHdrErrors"), 1);

    const uint8_t garbage[] = {0x45, 0x00, 0xff};
    assert_true(umptcp_stack_input(s, 3, garbage, sizeof(garbage), 0) < 0);
    assert_int_equal(umptcp_stack_input(s, 3, NULL, 0, 0) < 0, 1);
    assert_int_equal(counter(s, "IpInHdrErrors"), 3);
    assert_int_equal(counter(s, "IpInReceives"), 5);
    assert_int_equal(counter(s, "TcpInSegs"), 0);
    assert_int_equal(cap.calls, 0);
    umptcp_stack_free(s);
}

/* A failing send callback is counted, not fatal. */
static void test_send_failure_is_counted(void **state)
{
    (void)state;
    struct capture cap = {.fail_with = UMPTCP_ERR_AGAIN};
    umptcp_stack *s = new_stack(&cap);
    uint8_t pkt[200];
    size_t len = make_segment(pkt, sizeof(pkt), "10.0.0.1", "10.0.0.2", WIRE_TCP_SYN, 1, 0, 0);
    assert_int_equal(umptcp_stack_input(s, 3, pkt, len, 0), UMPTCP_OK);
    assert_int_equal(cap.calls, 1);
    assert_int_equal(counter(s, "IpOutDiscards"), 1);
    assert_int_equal(counter(s, "TcpOutRsts"), 0);
    umptcp_stack_free(s);
}

static void test_counter_listing(void **state)
{
    (void)state;
    struct capture cap = {0};
    umptcp_stack *s = new_stack(&cap);
    uint64_t v;
    assert_int_equal(umptcp_stack_counter(s, "NoSuchCounter", &v), UMPTCP_ERR_NOTFOUND);
    size_t n = umptcp_stack_counters(s, NULL, 0);
    assert_true(n >= 10);
    umptcp_counter list[128];
    assert_true(n <= 128);
    assert_int_equal(umptcp_stack_counters(s, list, n), n);
    for (size_t i = 0; i < n; i++) {
        assert_non_null(list[i].name);
        assert_int_equal(list[i].value, 0);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(list[i].name, list[j].name);
    }
    assert_int_equal(umptcp_stack_next_timeout(s), UMPTCP_TIME_NEVER);
    umptcp_stack_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_requires_callbacks),
        cmocka_unit_test(test_address_table),
        cmocka_unit_test(test_syn_to_closed_port_v4),
        cmocka_unit_test(test_syn_to_closed_port_v6),
        cmocka_unit_test(test_reset_sequence_numbers),
        cmocka_unit_test(test_reset_is_not_answered),
        cmocka_unit_test(test_bad_packets_are_counted),
        cmocka_unit_test(test_send_failure_is_counted),
        cmocka_unit_test(test_counter_listing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
