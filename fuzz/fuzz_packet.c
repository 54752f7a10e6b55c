/* libFuzzer target: the IP/TCP/option parsers on arbitrary bytes, and for every packet that
 * parses as a segment, build -> parse must give the same fields back. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "umptcp/error.h"
#include "util/bytes.h"
#include "wire/checksum.h"
#include "wire/ip.h"
#include "wire/segment.h"
#include "wire/tcp.h"
#include "wire/tcp_opt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FUZZ_CHECK(cond)                                                                           \
    do {                                                                                           \
        if (!(cond))                                                                               \
            abort();                                                                               \
    } while (0)

static void fuzz_check_in(const uint8_t *p, size_t n, const uint8_t *data, size_t size)
{
    if (n == 0)
        return;
    FUZZ_CHECK(p >= data && p <= data + size && n <= (size_t)(data + size - p));
}

static void fuzz_check_options(const struct wire_tcp_options *o, const uint8_t *data, size_t size)
{
    FUZZ_CHECK(o->sack_count <= WIRE_MAX_SACK_BLOCKS);
    FUZZ_CHECK(o->mptcp_count <= WIRE_MAX_MPTCP_OPTS);
    FUZZ_CHECK(((o->present & WIRE_OPT_SACK) != 0) == (o->sack_count != 0));
    for (unsigned i = 0; i < o->mptcp_count; i++) {
        fuzz_check_in(o->mptcp[i].data, o->mptcp[i].len, data, size);
        FUZZ_CHECK(o->mptcp[i].len >= 2 && o->mptcp[i].data[0] == WIRE_TCPOPT_MPTCP &&
                   o->mptcp[i].data[1] == o->mptcp[i].len);
    }
}

static void fuzz_compare_options(const struct wire_tcp_options *a, const struct wire_tcp_options *b)
{
    FUZZ_CHECK(a->present == b->present);
    if (a->present & WIRE_OPT_MSS)
        FUZZ_CHECK(a->mss == b->mss);
    if (a->present & WIRE_OPT_WSCALE)
        FUZZ_CHECK(a->wscale == b->wscale);
    if (a->present & WIRE_OPT_TIMESTAMP)
        FUZZ_CHECK(a->ts_val == b->ts_val && a->ts_ecr == b->ts_ecr);
    FUZZ_CHECK(a->sack_count == b->sack_count);
    for (unsigned i = 0; i < a->sack_count; i++)
        FUZZ_CHECK(a->sack[i].left == b->sack[i].left && a->sack[i].right == b->sack[i].right);
    FUZZ_CHECK(a->mptcp_count == b->mptcp_count);
    for (unsigned i = 0; i < a->mptcp_count; i++)
        FUZZ_CHECK(a->mptcp[i].len == b->mptcp[i].len &&
                   memcmp(a->mptcp[i].data, b->mptcp[i].data, a->mptcp[i].len) == 0);
    FUZZ_CHECK(b->unknown_count == 0 && b->malformed_count == 0);
}

static void fuzz_compare(const struct wire_segment *a, const struct wire_segment *b)
{
    FUZZ_CHECK(a->ip.version == b->ip.version);
    FUZZ_CHECK(umptcp_addr_equal(&a->ip.src, &b->ip.src));
    FUZZ_CHECK(umptcp_addr_equal(&a->ip.dst, &b->ip.dst));
    FUZZ_CHECK(b->ip.ttl == (a->ip.ttl != 0 ? a->ip.ttl : 64));
    FUZZ_CHECK(a->ip.tos == b->ip.tos && b->ip.proto == WIRE_IPPROTO_TCP);
    if (a->ip.version == 4)
        FUZZ_CHECK(a->ip.id == b->ip.id && b->ip.dont_fragment);
    else
        FUZZ_CHECK(a->ip.flow_label == b->ip.flow_label && b->ip.ext_len == 0);
    FUZZ_CHECK(a->tcp.sport == b->tcp.sport && a->tcp.dport == b->tcp.dport);
    FUZZ_CHECK(a->tcp.seq == b->tcp.seq && a->tcp.ack == b->tcp.ack);
    FUZZ_CHECK(a->tcp.flags == b->tcp.flags && a->tcp.window == b->tcp.window);
    FUZZ_CHECK(a->tcp.payload_len == b->tcp.payload_len);
    if (a->tcp.payload_len > 0)
        FUZZ_CHECK(memcmp(a->tcp.payload, b->tcp.payload, a->tcp.payload_len) == 0);
    fuzz_compare_options(&a->opt, &b->opt);
}

static void fuzz_rebuild(const struct wire_segment *s)
{
    struct wire_segment_spec spec = {
        .src = {.addr = s->ip.src, .port = s->tcp.sport},
        .dst = {.addr = s->ip.dst, .port = s->tcp.dport},
        .seq = s->tcp.seq,
        .ack = s->tcp.ack,
        .flags = s->tcp.flags,
        .window = s->tcp.window,
        .ttl = s->ip.ttl,
        .tos = s->ip.tos,
        .ip_id = s->ip.id,
        .opt = &s->opt,
        .payload = s->tcp.payload,
        .payload_len = s->tcp.payload_len,
        .flow_label = s->ip.flow_label,
    };
    int opt_size = wire_tcp_options_size(&s->opt);
    size_t cap = 40 + 60 + s->tcp.payload_len;
    uint8_t *buf = malloc(cap);
    FUZZ_CHECK(buf != NULL);
    size_t len = 0;
    int rc = wire_segment_build(&spec, buf, cap, &len);
    if (opt_size == UMPTCP_ERR_NOSPACE) {
        /* Options packed tighter than our aligned layout can exceed 40 bytes once rebuilt. */
        FUZZ_CHECK(rc == UMPTCP_ERR_NOSPACE);
    } else if (rc == UMPTCP_ERR_BAD_LENGTH) {
        FUZZ_CHECK(opt_size >= 0 && s->tcp.payload_len + 20 + (size_t)opt_size > 65535 - 40);
    } else {
        FUZZ_CHECK(opt_size >= 0 && rc == UMPTCP_OK);
        struct wire_segment again;
        FUZZ_CHECK(wire_segment_parse(buf, len, &again) == UMPTCP_OK);
        fuzz_compare(s, &again);
    }
    free(buf);
}

/* Mutated packets almost never carry right checksums: repair them in a copy so the deeper
 * paths (options, rebuild) see many more inputs. Then the checksum must verify. */
static void fuzz_with_fixed_checksums(const uint8_t *data, size_t size)
{
    uint8_t *copy = malloc(size);
    FUZZ_CHECK(copy != NULL);
    memcpy(copy, data, size);
    size_t ihl = (size_t)(copy[0] & 0x0f) * 4;
    if ((copy[0] >> 4) == 4 && size >= WIRE_IPV4_HDR_LEN && ihl >= WIRE_IPV4_HDR_LEN &&
        ihl <= size) {
        be16_put(copy + 10, 0);
        be16_put(copy + 10, wire_csum_fold(wire_csum_add(0, copy, ihl)));
    }
    struct wire_ip_hdr ip;
    if (wire_ip_parse(copy, size, &ip) == UMPTCP_OK && ip.proto == WIRE_IPPROTO_TCP &&
        ip.payload_len >= WIRE_TCP_HDR_LEN) {
        uint8_t *tcp = copy + (ip.payload - copy);
        wire_tcp_checksum_set(tcp, ip.payload_len, &ip.src, &ip.dst);
        struct wire_segment seg;
        int rc = wire_segment_parse(copy, size, &seg);
        FUZZ_CHECK(rc != UMPTCP_ERR_BAD_CHECKSUM);
        if (rc == UMPTCP_OK) {
            fuzz_check_options(&seg.opt, copy, size);
            fuzz_rebuild(&seg);
        }
    }
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wire_ip_hdr ip;
    if (wire_ip_parse(data, size, &ip) == UMPTCP_OK)
        fuzz_check_in(ip.payload, ip.payload_len, data, size);
    struct wire_tcp_hdr tcp;
    if (wire_tcp_parse(data, size, &tcp) == UMPTCP_OK) {
        fuzz_check_in(tcp.options, tcp.options_len, data, size);
        fuzz_check_in(tcp.payload, tcp.payload_len, data, size);
    }
    struct wire_tcp_options opt;
    if (wire_tcp_options_parse(data, size, &opt) == UMPTCP_OK)
        fuzz_check_options(&opt, data, size);

    struct wire_segment seg;
    int rc = wire_segment_parse(data, size, &seg);
    FUZZ_CHECK(rc <= 0 && rc >= UMPTCP_ERR_STATE);
    if (rc == UMPTCP_ERR_BAD_CHECKSUM)
        fuzz_with_fixed_checksums(data, size);
    if (rc != UMPTCP_OK)
        return 0;
    fuzz_check_in(seg.tcp.payload, seg.tcp.payload_len, data, size);
    fuzz_check_options(&seg.opt, data, size);
    fuzz_rebuild(&seg);
    return 0;
}
