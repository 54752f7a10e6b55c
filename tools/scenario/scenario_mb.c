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

struct sim_verdict scn_mb_rebuild(struct sim_mb_packet *p, const struct wire_segment *seg,
                                  bool strip, bool rewrite, uint8_t *scratch, size_t scratch_len)
{
    struct wire_tcp_options opt = seg->opt;
    uint8_t optbuf[WIRE_TCPOPT_SPACE];
    /* Option spans point into the packet, which is rebuilt in place: copy them first. */
    size_t off = 0;
    for (unsigned i = 0; i < opt.mptcp_count; i++) {
        memcpy(optbuf + off, opt.mptcp[i].data, opt.mptcp[i].len);
        opt.mptcp[i].data = optbuf + off;
        off += opt.mptcp[i].len;
    }
    if (strip)
        opt.mptcp_count = 0;
    size_t plen = seg->tcp.payload_len;
    if (plen > scratch_len)
        return sim_verdict_drop();
    memcpy(scratch, seg->tcp.payload, plen);
    if (rewrite)
        for (size_t i = 0; i < 4 && i < plen; i++)
            scratch[plen / 2 + i / 2] ^= (uint8_t)(0x21 + i);
    struct wire_segment_spec spec = {.src = {.addr = seg->ip.src, .port = seg->tcp.sport},
                                     .dst = {.addr = seg->ip.dst, .port = seg->tcp.dport},
                                     .seq = seg->tcp.seq,
                                     .ack = seg->tcp.ack,
                                     .flags = seg->tcp.flags,
                                     .window = seg->tcp.window,
                                     .opt = &opt,
                                     .payload = scratch,
                                     .payload_len = plen};
    size_t len = 0;
    if (wire_segment_build(&spec, p->data, p->cap, &len) != 0)
        return sim_verdict_drop();
    p->len = len;
    return sim_verdict_pass();
}

struct sim_verdict scn_mb_hook(void *user, struct sim_mb_packet *p)
{
    struct scn_mb_state *mb = user;
    struct wire_segment seg;
    if (wire_segment_parse(p->data, p->len, &seg) != 0)
        return sim_verdict_pass();
    mb->seen++;
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
