/* The MPTCP part of the stack script interpreter (see stack_mptcp.h and stack_script.h). */
#include "stack_mptcp.h"

#include "crypto/mptcp_crypto.h"
#include "mptcp/mptcp_conn.h"
#include "mptcp/mptcp_dsn.h"
#include "tcp/tcp_seq.h"
#include "umptcp/pm.h"
#include "util/bytes.h"
#include "wire/mptcp_opt.h"
#include "wire/segment.h"
#include "wire/tcp.h"
#include "wire/tcp_opt.h"

#include <stdio.h>
#include <string.h>

/* As in stack_script.c: the interpreter's branches are not the fuzzer's features. */
#if defined(__clang__) && __clang_major__ >= 13
#pragma clang attribute push(__attribute__((no_sanitize("coverage"))), apply_to = function)
#define SS_MP_NO_COVERAGE_END _Pragma("clang attribute pop")
#else
#define SS_MP_NO_COVERAGE_END
#endif

unsigned ss_mp_nsocks(const umptcp_conn *c)
{
    return c->mp != NULL ? c->mp->nsub : 1;
}

const struct tcp_sock *ss_mp_sock(const umptcp_conn *c, unsigned i)
{
    return c->mp != NULL ? c->mp->sub[i]->sk : c->sk;
}

bool ss_mp_all_closed(const umptcp_conn *c)
{
    for (unsigned i = 0; i < ss_mp_nsocks(c); i++)
        if (ss_mp_sock(c, i)->state != UMPTCP_STATE_CLOSED)
            return false;
    return true;
}

uint64_t ss_mp_next_timeout(const umptcp_conn *c)
{
    uint64_t t = c->mp != NULL ? mptcp_conn_next_timeout(c->mp) : UMPTCP_TIME_NEVER;
    for (unsigned i = 0; i < ss_mp_nsocks(c); i++) {
        uint64_t s = tcp_sock_next_timeout(ss_mp_sock(c, i));
        t = s < t ? s : t;
    }
    return t;
}

void ss_mp_trace(const umptcp_conn *c, uint64_t now)
{
    const struct mptcp_conn *mc = c->mp;
    uint64_t t = mptcp_conn_next_timeout(mc);
    fprintf(stderr,
            "    mptcp%s%s%s app %d/%d nsub %u una+%llu nxt+%llu used %zu right+%lld rcv_nxt+%llu "
            "fin %d/%d/%d "
            "peer_fin %d closed %d err %d rtx %lld\n",
            mc->initiator ? " (initiator)" : "", mc->fallback ? " fallback: " : "",
            mc->fallback ? mc->fb.why : "", c->app_owned, c->app_closed, mc->nsub,
            (unsigned long long)(mc->snd_una - mc->local_idsn),
            (unsigned long long)(mc->snd_nxt - mc->local_idsn), tcp_sndbuf_used(&mc->snd),
            (long long)(mc->snd_right - mc->local_idsn),
            (unsigned long long)(mc->rcv_nxt - mc->remote_idsn), mc->fin_queued, mc->fin_mapped,
            mc->fin_acked, mc->peer_fin, mc->closed, mc->error,
            t == UINT64_MAX ? -1 : (long long)(t - now) / 1000000);
}

static const struct mptcp_subflow *ss_mp_subflow(const struct mptcp_conn *mc,
                                                 const struct tcp_sock *sk)
{
    for (unsigned i = 0; sk != NULL && i < mc->nsub; i++)
        if (mc->sub[i]->sk == sk)
            return mc->sub[i];
    return NULL;
}

static void ss_mp_add32(uint8_t *p, uint32_t base)
{
    be32_put(p, be32_get(p) + base);
}

static void ss_mp_add64(uint8_t *p, uint64_t base)
{
    be64_put(p, be64_get(p) + base);
}

static void ss_mp_xor(uint8_t *p, const uint8_t *with, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] ^= with[i];
}

static void ss_mp_xor64(uint8_t *p, uint64_t v)
{
    uint8_t b[8];
    be64_put(b, v);
    ss_mp_xor(p, b, sizeof(b));
}

/* MP_CAPABLE: the keys are offsets from the sender's (the peer's) and the receiver's. */
static void ss_mp_rebase_mpc(uint8_t *o, uint8_t olen, const struct mptcp_conn *mc)
{
    if (olen >= 12)
        ss_mp_add64(o + 4, mc->remote_key);
    if (olen >= 20)
        ss_mp_add64(o + 12, mc->local_key);
}

/* MP_JOIN: the SYN's token is an offset from the SUT's; the third ACK's HMAC is XORed with the
 * correct one of the subflow it arrives on (all zeros: the right HMAC). */
static void ss_mp_rebase_join(uint8_t *o, uint8_t olen, const struct mptcp_conn *mc,
                              const struct mptcp_subflow *sf)
{
    if (olen == 12) {
        ss_mp_add32(o + 4, mc->local_token);
    } else if (olen == 24 && sf != NULL) {
        uint8_t h[MPTCP_CRYPTO_JOIN_ACK_HMAC_LEN];
        mptcp_crypto_join_ack_hmac(mc->remote_key, mc->local_key, sf->remote_nonce, sf->local_nonce,
                                   h);
        ss_mp_xor(o + 4, h, sizeof(h));
    }
}

/* DSS: DATA_ACK from the data level's SND.UNA, DSN from its RCV.NXT, SSN from the subflow's
 * RCV.NXT (relative to its IRS); the checksum, when asked, made correct for the payload. */
static void ss_mp_rebase_dss(uint8_t *o, uint8_t olen, const struct mptcp_conn *mc,
                             const struct tcp_sock *sk, const uint8_t *payload, size_t plen,
                             bool csum_ok)
{
    uint8_t flags = o[3];
    size_t i = 4;
    if (flags & WIRE_DSS_FLAG_A) {
        if (flags & WIRE_DSS_FLAG_a)
            ss_mp_add64(o + i, mc->snd_una);
        else
            ss_mp_add32(o + i, (uint32_t)mc->snd_una);
        i += (flags & WIRE_DSS_FLAG_a) ? 8 : 4;
    }
    if (!(flags & WIRE_DSS_FLAG_M))
        return;
    size_t dsn_len = (flags & WIRE_DSS_FLAG_m) ? 8 : 4;
    if (i + dsn_len + 6 > olen)
        return;
    if (dsn_len == 8)
        ss_mp_add64(o + i, mc->rcv_nxt);
    else
        ss_mp_add32(o + i, (uint32_t)mc->rcv_nxt);
    uint64_t dsn = dsn_len == 8 ? be64_get(o + i) : mptcp_dsn_expand(mc->rcv_nxt, be32_get(o + i));
    i += dsn_len;
    if (sk != NULL)
        ss_mp_add32(o + i, tcp_rcv_nxt(sk) - sk->irs);
    uint32_t ssn = be32_get(o + i);
    uint16_t dll = be16_get(o + i + 4);
    i += 6;
    if (csum_ok && i + 2 <= olen) {
        size_t n = plen < dll ? plen : dll;
        uint16_t want = mptcp_crypto_dss_csum(dsn, ssn, dll, payload, n);
        be16_put(o + i, be16_get(o + i) ^ want);
    }
}

/* ADD_ADDR: the HMAC is XORed with the correct one (the peer's keys). */
static void ss_mp_rebase_add_addr(uint8_t *o, uint8_t olen, const struct mptcp_conn *mc)
{
    struct wire_mptcp_opt p;
    if (wire_mptcp_parse(o, olen, &p) < 0 || p.u.add_addr.echo)
        return;
    const struct wire_add_addr *a = &p.u.add_addr;
    uint64_t h = mptcp_crypto_add_addr_hmac(mc->remote_key, mc->local_key, a->addr_id, &a->addr,
                                            a->has_port ? a->port : 0);
    ss_mp_xor64(o + olen - WIRE_ADD_ADDR_HMAC_LEN, h);
}

static void ss_mp_rebase_one(uint8_t *o, uint8_t olen, const struct mptcp_conn *mc,
                             const struct tcp_sock *sk, const uint8_t *payload, size_t plen,
                             bool csum_ok)
{
    if (olen < 3)
        return;
    switch (o[2] >> 4) {
    case WIRE_MPTCP_MP_CAPABLE:
        ss_mp_rebase_mpc(o, olen, mc);
        break;
    case WIRE_MPTCP_MP_JOIN:
        ss_mp_rebase_join(o, olen, mc, ss_mp_subflow(mc, sk));
        break;
    case WIRE_MPTCP_DSS:
        if (olen >= 4)
            ss_mp_rebase_dss(o, olen, mc, sk, payload, plen, csum_ok);
        break;
    case WIRE_MPTCP_ADD_ADDR:
        ss_mp_rebase_add_addr(o, olen, mc);
        break;
    case WIRE_MPTCP_MP_FAIL: /* a DSN of the SUT's data */
        if (olen == 12)
            ss_mp_add64(o + 4, mc->snd_una);
        break;
    case WIRE_MPTCP_MP_FASTCLOSE: /* the receiver's (the SUT's) key */
        if (olen == 12)
            ss_mp_add64(o + 4, mc->local_key);
        break;
    default: /* REMOVE_ADDR, MP_PRIO, MP_TCPRST carry no secret or sequence number */
        break;
    }
}

void ss_tcp_options_each(uint8_t *tcp, size_t len, ss_option_fn fn, void *user)
{
    size_t hdr = (size_t)(tcp[12] >> 4) * 4;
    if (hdr <= WIRE_TCP_HDR_LEN || hdr > len)
        return;
    size_t i = WIRE_TCP_HDR_LEN;
    while (i < hdr) {
        uint8_t kind = tcp[i];
        if (kind == WIRE_TCPOPT_EOL)
            return;
        if (kind == WIRE_TCPOPT_NOP) {
            i++;
            continue;
        }
        if (i + 1 >= hdr || tcp[i + 1] < 2 || i + tcp[i + 1] > hdr)
            return;
        uint8_t olen = tcp[i + 1];
        fn(tcp + i, olen, user);
        i += olen;
    }
}

struct ss_mp_rebase_ctx {
    const struct mptcp_conn *mc;
    const struct tcp_sock *sk;
    const uint8_t *payload;
    size_t plen;
    bool csum_ok;
};

static void ss_mp_rebase_opt(uint8_t *opt, uint8_t len, void *user)
{
    const struct ss_mp_rebase_ctx *x = user;
    if (opt[0] == WIRE_TCPOPT_MPTCP)
        ss_mp_rebase_one(opt, len, x->mc, x->sk, x->payload, x->plen, x->csum_ok);
}

void ss_mp_rebase_options(uint8_t *tcp, size_t len, const struct mptcp_conn *mc,
                          const struct tcp_sock *sk, bool csum_ok)
{
    size_t hdr = (size_t)(tcp[12] >> 4) * 4;
    if (mc == NULL || hdr <= WIRE_TCP_HDR_LEN || hdr > len)
        return;
    struct ss_mp_rebase_ctx x = {mc, sk, tcp + hdr, len - hdr, csum_ok};
    ss_tcp_options_each(tcp, len, ss_mp_rebase_opt, &x);
}

static const char *ss_mp_check_subflows(const umptcp_conn *c, const struct mptcp_conn *mc)
{
    if (mc->nsub > MPTCP_MAX_SUBFLOWS || mc->max_subflows > MPTCP_MAX_SUBFLOWS)
        return "more subflows than MPTCP_MAX_SUBFLOWS";
    if (mc->nsub == 0 || mc->sub[0]->sk != c->sk)
        return "the initial subflow is not the connection's socket";
    for (unsigned i = 0; i < mc->nsub; i++) {
        const struct mptcp_subflow *sf = mc->sub[i];
        if (sf == NULL || sf->mc != mc || sf->sk == NULL)
            return "a subflow slot is empty or belongs elsewhere";
        if (mptcp_rmap_count(&sf->rmap) > sf->rmap.max_maps + 1)
            return "more receive mappings than their bound";
        for (unsigned k = 0; k < i; k++)
            if (mc->sub[k] == sf)
                return "a subflow is listed twice";
    }
    return NULL;
}

static const char *ss_mp_check_data(const struct mptcp_conn *mc)
{
    if (!mptcp_dsn_leq(mc->snd_una, mc->snd_nxt))
        return "data level: SND.UNA beyond SND.NXT";
    if (mc->snd_nxt - mc->snd_una > tcp_sndbuf_capacity(&mc->snd) + 1)
        return "data level: more in flight than the send buffer holds";
    if (mc->rcv_ready) {
        const struct tcp_rcvbuf *rb = &mc->rcv;
        if (tcp_rcvbuf_capacity(rb) > mc->cfg->rcvbuf_max)
            return "data level: receive buffer beyond rcvbuf_max";
        if (tcp_rcvbuf_ooo_count(rb) > mc->cfg->max_ooo_ranges)
            return "data level: out-of-order ranges beyond max_ooo_ranges";
        if (tcp_rcvbuf_readable(rb) + tcp_rcvbuf_ooo_bytes(rb) > tcp_rcvbuf_capacity(rb))
            return "data level: receive buffer holds more than its capacity";
        if ((uint32_t)mc->rcv_nxt != rb->rcv_nxt && !mc->fallback)
            return "data level: RCV.NXT disagrees with its buffer";
    }
    if (mc->nraddr > MPTCP_MAX_ADDRS || mc->nann > MPTCP_MAX_ADDRS || mc->nrm > MPTCP_MAX_ADDRS)
        return "more addresses remembered than MPTCP_MAX_ADDRS";
    return NULL;
}

static const char *ss_mp_check_fallback(const struct mptcp_conn *mc)
{
    if (mc->fallback != (mc->fb.why != NULL))
        return "fallback without a reason, or a reason without fallback";
    if (mc->fallback && mc->nsub > 1) {
        unsigned open = 0;
        for (unsigned i = 0; i < mc->nsub; i++)
            open += !mc->sub[i]->closed && mc->sub[i]->sk->state != UMPTCP_STATE_CLOSED;
        if (open > 1)
            return "fallen back to TCP with more than one open subflow";
    }
    return NULL;
}

const char *ss_mp_check(const umptcp_stack *st, const umptcp_conn *c)
{
    (void)st;
    const struct mptcp_conn *mc = c->mp;
    if (mc == NULL)
        return NULL;
    if (mc->owner != c)
        return "the data level belongs to another connection";
    const char *why = ss_mp_check_subflows(c, mc);
    if (why == NULL)
        why = ss_mp_check_data(mc);
    if (why == NULL)
        why = ss_mp_check_fallback(mc);
    return why;
}

bool ss_find_sock(const umptcp_stack *st, const umptcp_sockaddr *local,
                  const umptcp_sockaddr *remote, struct ss_target *t)
{
    for (const umptcp_conn *c = st->conns; c != NULL; c = c->next)
        for (unsigned i = 0; i < ss_mp_nsocks(c); i++) {
            const struct tcp_sock *sk = ss_mp_sock(c, i);
            if (sk->local.port == local->port && sk->remote.port == remote->port &&
                umptcp_addr_equal(&sk->local.addr, &local->addr) &&
                umptcp_addr_equal(&sk->remote.addr, &remote->addr)) {
                *t = (struct ss_target){c, sk};
                return true;
            }
        }
    return false;
}

/* The sel-th socket (cycling) of all connections and their subflows. */
bool ss_nth_sock(const umptcp_stack *st, uint8_t sel, struct ss_target *t)
{
    size_t n = 0;
    for (const umptcp_conn *c = st->conns; c != NULL; c = c->next)
        n += ss_mp_nsocks(c);
    if (n == 0)
        return false;
    size_t k = sel % n;
    for (const umptcp_conn *c = st->conns; c != NULL; c = c->next)
        for (unsigned i = 0; i < ss_mp_nsocks(c); i++)
            if (k-- == 0) {
                *t = (struct ss_target){c, ss_mp_sock(c, i)};
                return true;
            }
    return false;
}

/* The MPTCP connection (data level) sel picks, for an MP_JOIN SYN that has
 * no socket yet. */
const struct mptcp_conn *ss_nth_mptcp(const umptcp_stack *st, uint8_t sel)
{
    struct ss_target t;
    return ss_nth_sock(st, sel, &t) ? t.c->mp : NULL;
}

static void ss_trace_sock(const char *who, const struct tcp_sock *sk, unsigned sub, uint64_t now)
{
    fprintf(stderr,
            "    %s%s %u->%u %s una+%u nxt+%u end+%u wnd %u rcv_nxt %u "
            "adv+%d rd %zu cap %zu "
            "cwnd %u timers",
            who, sub > 0 ? " sub" : "", sk->local.port, sk->remote.port,
            umptcp_conn_state_name(sk->state), sk->snd_una - sk->iss, sk->snd_nxt - sk->iss,
            tcp_sock_data_end(sk) - sk->iss, sk->snd_wnd, tcp_rcv_nxt(sk) - sk->irs,
            (int)(sk->rcv_adv - tcp_rcv_nxt(sk)), tcp_rcvbuf_readable(&sk->rcv),
            tcp_rcvbuf_capacity(&sk->rcv), sk->cc.st.cwnd);
    for (int i = 0; i < TCP_TIMER_COUNT; i++)
        fprintf(stderr, " %lld", sk->timer[i] ? (long long)(sk->timer[i] - now) / 1000000 : -1);
    fprintf(stderr, "\n");
}

void ss_mp_trace_socks(const umptcp_stack *st, const char *who, uint64_t now)
{
    for (const umptcp_conn *c = st->conns; c != NULL; c = c->next) {
        if (c->mp != NULL)
            ss_mp_trace(c, now);
        for (unsigned i = 0; i < ss_mp_nsocks(c); i++)
            ss_trace_sock(who, ss_mp_sock(c, i), i, now);
    }
}

void ss_mp_trace_pkt(const char *dir, const uint8_t *pkt, size_t len, uint64_t now)
{
    struct wire_segment seg;
    if (wire_segment_parse(pkt, len, &seg) != UMPTCP_OK)
        return;
    const struct wire_tcp_hdr *h = &seg.tcp;
    fprintf(stderr, "  pkt %llu.%03llu %s %u->%u flags %02x seq %u ack %u len %zu win %u",
            (unsigned long long)(now / 1000000000ull) % 10000,
            (unsigned long long)(now / 1000000ull) % 1000, dir, h->sport, h->dport, h->flags,
            h->seq, h->ack, h->payload_len, h->window);
    for (unsigned i = 0; i < seg.opt.mptcp_count; i++) {
        struct wire_mptcp_opt o;
        char line[WIRE_MPTCP_FORMAT_MAX];
        if (wire_mptcp_parse(seg.opt.mptcp[i].data, seg.opt.mptcp[i].len, &o) > 0 &&
            wire_mptcp_format(&o, line, sizeof(line)) > 0)
            fprintf(stderr, " | %s", line);
    }
    fprintf(stderr, "\n");
}

const char *ss_mp_path_event(umptcp_stack *st, int ifindex, struct ss_mp_path *p, uint8_t ev)
{
    if ((ev & 1) && p->removed) {
        if (umptcp_stack_add_address(st, ifindex, &p->addr) != UMPTCP_OK)
            return "adding the second address back failed";
        p->removed = false;
        if (p->backup && umptcp_stack_set_backup(st, &p->addr, true) != UMPTCP_OK)
            return "marking the second address backup failed";
    } else if (ev & 1) {
        if (umptcp_stack_remove_address(st, &p->addr) != UMPTCP_OK)
            return "removing the second address failed";
        p->removed = true;
    }
    if ((ev & 2) && !p->removed) {
        p->backup = !p->backup;
        if (umptcp_stack_set_backup(st, &p->addr, p->backup) != UMPTCP_OK)
            return "changing the second address's backup flag failed";
    }
    return NULL;
}

SS_MP_NO_COVERAGE_END
