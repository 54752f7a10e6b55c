/* Middleboxes on a link direction (RFC 8684 3.7 describes what they do to MPTCP): option
 * strippers (as `iptables -j TCPOPTSTRIP --strip-options 30`), a payload rewriter (an
 * application-level gateway that fixes the TCP checksum, so only the DSS checksum can tell),
 * and a dropper of ADD_ADDR announcements. */
#include "scenario/scenario_internal.h"
#include "scenario/scenario_mb.h"

#include "wire/mptcp_opt.h"
#include "wire/segment.h"
#include "wire/tcp.h"

#include <string.h>

/* The rewriter changes data segments [FROM, FROM + COUNT) of its direction: early enough to
 * be seen in any run, few enough to leave the transfer to go on. */
#define SCN_MB_REWRITE_FROM 200u
#define SCN_MB_REWRITE_COUNT 3u

static bool scn_mb_has_announcement(const struct wire_segment *seg)
{
    for (unsigned i = 0; i < seg->opt.mptcp_count; i++) {
        struct wire_mptcp_opt o;
        if (wire_mptcp_parse(seg->opt.mptcp[i].data, seg->opt.mptcp[i].len, &o) > 0 &&
            o.subtype == WIRE_MPTCP_ADD_ADDR && !o.u.add_addr.echo)
            return true;
    }
    return false;
}

static bool scn_mb_wants_strip(const struct scn_mb_state *mb, const struct wire_segment *seg)
{
    if (seg->opt.mptcp_count == 0)
        return false;
    if (mb->kind == SCN_MB_STRIP_MPTCP)
        return true;
    return mb->kind == SCN_MB_STRIP_MPTCP_DATA && seg->tcp.payload_len > 0;
}

static bool scn_mb_wants_rewrite(struct scn_mb_state *mb, const struct wire_segment *seg)
{
    if (mb->kind != SCN_MB_REWRITE_PAYLOAD || seg->tcp.payload_len == 0)
        return false;
    mb->data_segs++;
    return mb->data_segs >= SCN_MB_REWRITE_FROM &&
           mb->data_segs < SCN_MB_REWRITE_FROM + SCN_MB_REWRITE_COUNT;
}

/* Builds seg into p from its parts: options (already copied out of the packet), payload (in
 * scratch), addresses and ports as given; IP fields that matter on a path are kept. */
static struct sim_verdict scn_mb_build(struct sim_mb_packet *p, const struct wire_segment *seg,
                                       const struct wire_tcp_options *opt,
                                       const umptcp_sockaddr *src, const umptcp_sockaddr *dst,
                                       const uint8_t *payload)
{
    struct wire_segment_spec spec = {.src = *src,
                                     .dst = *dst,
                                     .seq = seg->tcp.seq,
                                     .ack = seg->tcp.ack,
                                     .flags = seg->tcp.flags,
                                     .window = seg->tcp.window,
                                     .ttl = seg->ip.ttl,
                                     .tos = seg->ip.tos,
                                     .ip_id = seg->ip.id,
                                     .flow_label = seg->ip.flow_label,
                                     .opt = opt,
                                     .payload = payload,
                                     .payload_len = seg->tcp.payload_len};
    size_t len = 0;
    if (wire_segment_build(&spec, p->data, p->cap, &len) != 0)
        return sim_verdict_drop();
    p->len = len;
    return sim_verdict_pass();
}

/* Copies the options and the payload out of the packet, which is rebuilt in place. */
static bool scn_mb_copy_out(const struct wire_segment *seg, struct wire_tcp_options *opt,
                            uint8_t optbuf[WIRE_TCPOPT_SPACE], uint8_t *scratch, size_t scratch_len)
{
    *opt = seg->opt;
    size_t off = 0;
    for (unsigned i = 0; i < opt->mptcp_count; i++) {
        memcpy(optbuf + off, opt->mptcp[i].data, opt->mptcp[i].len);
        opt->mptcp[i].data = optbuf + off;
        off += opt->mptcp[i].len;
    }
    if (seg->tcp.payload_len > scratch_len)
        return false;
    memcpy(scratch, seg->tcp.payload, seg->tcp.payload_len);
    return true;
}

static void scn_mb_ends(const struct wire_segment *seg, umptcp_sockaddr *src, umptcp_sockaddr *dst)
{
    *src = (umptcp_sockaddr){.addr = seg->ip.src, .port = seg->tcp.sport};
    *dst = (umptcp_sockaddr){.addr = seg->ip.dst, .port = seg->tcp.dport};
}

struct sim_verdict scn_mb_rebuild(struct sim_mb_packet *p, const struct wire_segment *seg,
                                  bool strip, bool rewrite, uint8_t *scratch, size_t scratch_len)
{
    struct wire_tcp_options opt;
    uint8_t optbuf[WIRE_TCPOPT_SPACE];
    if (!scn_mb_copy_out(seg, &opt, optbuf, scratch, scratch_len))
        return sim_verdict_drop();
    if (strip)
        opt.mptcp_count = 0;
    size_t plen = seg->tcp.payload_len;
    if (rewrite)
        for (size_t i = 0; i < 4 && i < plen; i++)
            scratch[plen / 2 + i / 2] ^= (uint8_t)(0x21 + i);
    umptcp_sockaddr src, dst;
    scn_mb_ends(seg, &src, &dst);
    return scn_mb_build(p, seg, &opt, &src, &dst, scratch);
}

struct sim_verdict scn_mb_readdress(struct sim_mb_packet *p, const struct wire_segment *seg,
                                    const umptcp_sockaddr *src, const umptcp_sockaddr *dst,
                                    uint8_t *scratch, size_t scratch_len)
{
    struct wire_tcp_options opt;
    uint8_t optbuf[WIRE_TCPOPT_SPACE];
    if (!scn_mb_copy_out(seg, &opt, optbuf, scratch, scratch_len))
        return sim_verdict_drop();
    return scn_mb_build(p, seg, &opt, src, dst, scratch);
}

/* ---- NAT (RFC 8684 3.9 and RFC 6181 describe what it does to MPTCP) --------------------- */

/* Outbound (end a to end b): a new (address, port) of the inside gets the next public port;
 * the source becomes (public address, that port). Inbound: a segment to the public address
 * and a mapped port goes to the inside (address, port); anything else is dropped, as a NAT
 * without a mapping does. Mappings never expire; a full table drops new flows. */
static struct sim_verdict scn_mb_nat(struct scn_mb_state *mb, struct sim_mb_packet *p,
                                     const struct wire_segment *seg)
{
    struct scn_nat *nat = mb->nat;
    umptcp_sockaddr src, dst;
    scn_mb_ends(seg, &src, &dst);
    if (mb->inbound) {
        if (!umptcp_addr_equal(&dst.addr, &nat->pub))
            return sim_verdict_pass(); /* not for the NAT: routed past it */
        for (size_t i = 0; i < nat->n; i++) {
            if (nat->e[i].pub_port != dst.port)
                continue;
            mb->changed++;
            return scn_mb_readdress(p, seg, &src, &nat->e[i].inside, mb->payload,
                                    sizeof(mb->payload));
        }
        nat->unmapped_drops++;
        return sim_verdict_drop();
    }
    if (src.addr.family != nat->pub.family)
        return sim_verdict_pass();
    size_t i = 0;
    while (i < nat->n && !(nat->e[i].inside.port == src.port &&
                           umptcp_addr_equal(&nat->e[i].inside.addr, &src.addr)))
        i++;
    if (i == nat->n) {
        if (nat->n == SCN_NAT_MAX_MAPPINGS) {
            nat->full_drops++;
            return sim_verdict_drop();
        }
        nat->e[nat->n++] = (struct scn_nat_entry){
            .inside = src, .pub_port = (uint16_t)(SCN_NAT_FIRST_PORT + nat->n)};
    }
    umptcp_sockaddr out = {.addr = nat->pub, .port = nat->e[i].pub_port};
    mb->changed++;
    return scn_mb_readdress(p, seg, &out, &dst, mb->payload, sizeof(mb->payload));
}

struct sim_verdict scn_mb_hook(void *user, struct sim_mb_packet *p)
{
    struct scn_mb_state *mb = user;
    struct wire_segment seg;
    if (wire_segment_parse(p->data, p->len, &seg) != 0)
        return sim_verdict_pass();
    mb->seen++;
    if (mb->kind == SCN_MB_NAT)
        return scn_mb_nat(mb, p, &seg);
    if (mb->kind == SCN_MB_DROP_ADD_ADDR) {
        if (!scn_mb_has_announcement(&seg))
            return sim_verdict_pass();
        mb->changed++;
        return sim_verdict_drop();
    }
    bool strip = scn_mb_wants_strip(mb, &seg);
    bool rewrite = scn_mb_wants_rewrite(mb, &seg);
    if (!strip && !rewrite)
        return sim_verdict_pass();
    mb->changed++;
    return scn_mb_rebuild(p, &seg, strip, rewrite, mb->payload, sizeof(mb->payload));
}
