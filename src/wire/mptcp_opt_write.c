/* Writing of MPTCP options (RFC 8684 section 3), in two passes: wire_mptcp_size says how many
 * bytes an option takes (so a planner can fit options into the 40-byte space), then
 * wire_mptcp_write writes it. Reserved bits are written as 0. */
#include "wire/mptcp_opt.h"

#include <string.h>

#include "umptcp/error.h"
#include "util/bytes.h"

/* ---- sizes ---- */

static int size_mp_capable(const struct wire_mp_capable *m)
{
    if (m->version > 0x0f)
        return UMPTCP_ERR_INVAL;
    switch (m->form) {
    case WIRE_MPC_SYN:
        return 4;
    case WIRE_MPC_SYNACK:
        return 12;
    case WIRE_MPC_ACK:
        return 20;
    case WIRE_MPC_ACK_DATA:
        return m->csum_present ? 24 : 22;
    default:
        return UMPTCP_ERR_INVAL;
    }
}

static int size_mp_join(const struct wire_mp_join *j)
{
    switch (j->form) {
    case WIRE_JOIN_SYN:
        return 12;
    case WIRE_JOIN_SYNACK:
        return 16;
    case WIRE_JOIN_ACK:
        return 24;
    default:
        return UMPTCP_ERR_INVAL;
    }
}

static int size_dss(const struct wire_dss *d)
{
    if (d->csum_present && !d->has_map)
        return UMPTCP_ERR_INVAL;
    int n = 4;
    if (d->has_ack)
        n += d->ack64 ? 8 : 4;
    if (d->has_map)
        n += (d->dsn64 ? 8 : 4) + 4 + 2 + (d->csum_present ? 2 : 0);
    return n;
}

static int size_add_addr(const struct wire_add_addr *a)
{
    int n = 4 + (a->has_port ? 2 : 0) + (a->echo ? 0 : WIRE_ADD_ADDR_HMAC_LEN);
    if (a->addr.family == UMPTCP_AF_INET)
        return n + 4;
    if (a->addr.family == UMPTCP_AF_INET6)
        return n + 16;
    return UMPTCP_ERR_INVAL;
}

static int size_body(const struct wire_mptcp_opt *o)
{
    switch (o->subtype) {
    case WIRE_MPTCP_MP_CAPABLE:
        return size_mp_capable(&o->u.mpc);
    case WIRE_MPTCP_MP_JOIN:
        return size_mp_join(&o->u.join);
    case WIRE_MPTCP_DSS:
        return size_dss(&o->u.dss);
    case WIRE_MPTCP_ADD_ADDR:
        return size_add_addr(&o->u.add_addr);
    case WIRE_MPTCP_REMOVE_ADDR: {
        uint8_t n = o->u.rm_addr.count;
        return n >= 1 && n <= WIRE_MPTCP_MAX_RM_IDS ? 3 + n : UMPTCP_ERR_INVAL;
    }
    case WIRE_MPTCP_MP_PRIO:
        return o->u.prio.has_addr_id ? 4 : 3;
    case WIRE_MPTCP_MP_FAIL:
    case WIRE_MPTCP_MP_FASTCLOSE:
        return 12;
    case WIRE_MPTCP_MP_TCPRST:
        return o->u.tcprst.flags <= 0x0f ? 4 : UMPTCP_ERR_INVAL;
    case WIRE_MPTCP_MP_EXPERIMENTAL: {
        const struct wire_mp_experimental *e = &o->u.exp;
        if (e->nibble > 0x0f || e->len > WIRE_MPTCP_MAX_EXP_DATA)
            return UMPTCP_ERR_INVAL;
        return 3 + e->len;
    }
    default:
        return UMPTCP_ERR_INVAL;
    }
}

int wire_mptcp_size(const struct wire_mptcp_opt *o)
{
    if (o == NULL)
        return UMPTCP_ERR_INVAL;
    return size_body(o);
}

/* ---- writers: p has room for the size computed above, p[0..2] are set, p[3..] zeroed ---- */

static void write_mp_capable(const struct wire_mp_capable *m, uint8_t *p)
{
    p[2] |= m->version; /* Figure 4: subtype | version */
    p[3] = m->flags;
    if (m->form >= WIRE_MPC_SYNACK)
        be64_put(p + 4, m->snd_key);
    if (m->form >= WIRE_MPC_ACK)
        be64_put(p + 12, m->rcv_key);
    if (m->form == WIRE_MPC_ACK_DATA) {
        be16_put(p + 20, m->dll);
        if (m->csum_present)
            be16_put(p + 22, m->csum);
    }
}

static void write_mp_join(const struct wire_mp_join *j, uint8_t *p)
{
    if (j->form == WIRE_JOIN_ACK) { /* Figure 7 */
        memcpy(p + 4, j->hmac, WIRE_JOIN_ACK_HMAC_LEN);
        return;
    }
    p[2] |= j->backup ? 0x01 : 0x00;
    p[3] = j->addr_id;
    if (j->form == WIRE_JOIN_SYN) { /* Figure 5 */
        be32_put(p + 4, j->token);
        be32_put(p + 8, j->nonce);
    } else { /* Figure 6 */
        memcpy(p + 4, j->hmac, WIRE_JOIN_SYNACK_HMAC_LEN);
        be32_put(p + 12, j->nonce);
    }
}

uint8_t wire_dss_flags(const struct wire_dss *d)
{
    return (uint8_t)((d->has_ack ? WIRE_DSS_FLAG_A : 0) | (d->ack64 ? WIRE_DSS_FLAG_a : 0) |
                     (d->has_map ? WIRE_DSS_FLAG_M : 0) | (d->dsn64 ? WIRE_DSS_FLAG_m : 0) |
                     (d->data_fin ? WIRE_DSS_FLAG_F : 0));
}

static void write_dss(const struct wire_dss *d, uint8_t *p)
{
    p[3] = wire_dss_flags(d);
    uint8_t *q = p + 4;
    /* Figure 9: [Data ACK][DSN][SSN][DLL][checksum]; 4-byte forms carry the low 32 bits. */
    if (d->has_ack) {
        if (d->ack64)
            be64_put(q, d->data_ack);
        else
            be32_put(q, (uint32_t)d->data_ack);
        q += d->ack64 ? 8 : 4;
    }
    if (d->has_map) {
        if (d->dsn64)
            be64_put(q, d->dsn);
        else
            be32_put(q, (uint32_t)d->dsn);
        q += d->dsn64 ? 8 : 4;
        be32_put(q, d->ssn);
        be16_put(q + 4, d->dll);
        if (d->csum_present)
            be16_put(q + 6, d->csum);
    }
}

static void write_add_addr(const struct wire_add_addr *a, uint8_t *p)
{
    p[2] |= a->echo ? 0x01 : 0x00; /* Figure 12: rsv(3) E */
    p[3] = a->addr_id;
    size_t alen = a->addr.family == UMPTCP_AF_INET ? 4 : 16;
    memcpy(p + 4, a->addr.bytes, alen);
    uint8_t *q = p + 4 + alen;
    if (a->has_port) {
        be16_put(q, a->port);
        q += 2;
    }
    if (!a->echo)
        memcpy(q, a->hmac, WIRE_ADD_ADDR_HMAC_LEN);
}

static void write_body(const struct wire_mptcp_opt *o, uint8_t *p)
{
    switch (o->subtype) {
    case WIRE_MPTCP_MP_CAPABLE:
        write_mp_capable(&o->u.mpc, p);
        break;
    case WIRE_MPTCP_MP_JOIN:
        write_mp_join(&o->u.join, p);
        break;
    case WIRE_MPTCP_DSS:
        write_dss(&o->u.dss, p);
        break;
    case WIRE_MPTCP_ADD_ADDR:
        write_add_addr(&o->u.add_addr, p);
        break;
    case WIRE_MPTCP_REMOVE_ADDR: /* Figure 13: IDs start at byte 3 */
        memcpy(p + 3, o->u.rm_addr.ids, o->u.rm_addr.count);
        break;
    case WIRE_MPTCP_MP_PRIO: /* Figure 11: rsv(3) B; v0 adds an address ID */
        p[2] |= o->u.prio.backup ? 0x01 : 0x00;
        if (o->u.prio.has_addr_id)
            p[3] = o->u.prio.addr_id;
        break;
    case WIRE_MPTCP_MP_FAIL: /* Figure 16 */
        be64_put(p + 4, o->u.fail.dsn);
        break;
    case WIRE_MPTCP_MP_FASTCLOSE: /* Figure 14 */
        be64_put(p + 4, o->u.fastclose.rcv_key);
        break;
    case WIRE_MPTCP_MP_TCPRST: /* Figure 15: U V W T | reason */
        p[2] |= o->u.tcprst.flags;
        p[3] = o->u.tcprst.reason;
        break;
    case WIRE_MPTCP_MP_EXPERIMENTAL:
        p[2] |= o->u.exp.nibble;
        memcpy(p + 3, o->u.exp.data, o->u.exp.len);
        break;
    default:
        break;
    }
}

int wire_mptcp_write(const struct wire_mptcp_opt *o, uint8_t *buf, size_t cap)
{
    int n = wire_mptcp_size(o);
    if (n < 0)
        return n;
    if (buf == NULL || cap < (size_t)n)
        return UMPTCP_ERR_NOSPACE;
    memset(buf, 0, (size_t)n);
    buf[0] = WIRE_TCPOPT_MPTCP;
    buf[1] = (uint8_t)n;
    buf[2] = (uint8_t)(o->subtype << 4);
    write_body(o, buf);
    return n;
}
