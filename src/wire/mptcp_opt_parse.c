/* Parsing of MPTCP options (RFC 8684 section 3). Each subtype parser gets the whole option
 * (p[0] = kind, p[1] = Length = len, p[2] = subtype nibble | 4 bits) with len >= 3 already
 * checked against the input, so it only has to check len against its own forms. */
#include "wire/mptcp_opt.h"

#include <string.h>

#include "umptcp/error.h"
#include "util/bytes.h"

/* ---- MP_CAPABLE (3.1) ---- */

static int mpc_form_of_length(size_t len, uint8_t *form, bool *csum)
{
    *csum = false;
    switch (len) {
    case 4:
        *form = WIRE_MPC_SYN;
        return 0;
    case 12:
        *form = WIRE_MPC_SYNACK;
        return 0;
    case 20:
        *form = WIRE_MPC_ACK;
        return 0;
    case 24:
        *csum = true;
        /* fall through */
    case 22:
        *form = WIRE_MPC_ACK_DATA;
        return 0;
    default:
        return UMPTCP_ERR_BAD_LENGTH;
    }
}

static void mpc_read_fields(const uint8_t *p, struct wire_mp_capable *m)
{
    if (m->form >= WIRE_MPC_SYNACK)
        m->snd_key = be64_get(p + 4);
    if (m->form >= WIRE_MPC_ACK)
        m->rcv_key = be64_get(p + 12);
    if (m->form == WIRE_MPC_ACK_DATA) {
        m->dll = be16_get(p + 20);
        if (m->csum_present)
            m->csum = be16_get(p + 22);
    }
}

static int parse_mp_capable(const uint8_t *p, size_t len, struct wire_mp_capable *m)
{
    m->version = p[2] & 0x0f;
    if (len >= 4)
        m->flags = p[3];
    int lerr = mpc_form_of_length(len, &m->form, &m->csum_present);
    if (lerr == 0)
        mpc_read_fields(p, m);
    else
        m->form = WIRE_MPC_SYN;
    /* Reported before the Length: a v0 (RFC 6824) option must be recognisable as such. */
    if (m->version != 1)
        return UMPTCP_ERR_BAD_VERSION;
    if (lerr != 0)
        return lerr;
    /* 3.1: B=1 is not understood by this version and D..H all 0 names no algorithm; both
     * make the option invalid ("MUST be ignored"). */
    if ((m->flags & WIRE_MPC_FLAG_B) || !(m->flags & WIRE_MPC_FLAG_CRYPTO_MASK))
        return UMPTCP_ERR_BAD_FLAGS;
    return 0;
}

/* ---- MP_JOIN (3.2) ---- */

static int parse_mp_join(const uint8_t *p, size_t len, struct wire_mp_join *j)
{
    switch (len) {
    case 12: /* Figure 5 */
        j->form = WIRE_JOIN_SYN;
        j->token = be32_get(p + 4);
        j->nonce = be32_get(p + 8);
        break;
    case 16: /* Figure 6 */
        j->form = WIRE_JOIN_SYNACK;
        memcpy(j->hmac, p + 4, WIRE_JOIN_SYNACK_HMAC_LEN);
        j->nonce = be32_get(p + 12);
        break;
    case 24: /* Figure 7: 12 reserved bits, then the HMAC */
        j->form = WIRE_JOIN_ACK;
        memcpy(j->hmac, p + 4, WIRE_JOIN_ACK_HMAC_LEN);
        return 0;
    default:
        return UMPTCP_ERR_BAD_LENGTH;
    }
    j->backup = p[2] & 0x01;
    j->addr_id = p[3];
    return 0;
}

/* ---- DSS (3.3) ---- */

/* Length of a DSS with these flags, without the optional checksum. */
static size_t dss_base_length(const struct wire_dss *d)
{
    size_t n = 4;
    if (d->has_ack)
        n += d->ack64 ? 8 : 4;
    if (d->has_map)
        n += (d->dsn64 ? 8 : 4) + 4 + 2;
    return n;
}

void wire_dss_set_flags(struct wire_dss *d, uint8_t flags)
{
    d->has_ack = flags & WIRE_DSS_FLAG_A;
    d->ack64 = flags & WIRE_DSS_FLAG_a;
    d->has_map = flags & WIRE_DSS_FLAG_M;
    d->dsn64 = flags & WIRE_DSS_FLAG_m;
    d->data_fin = flags & WIRE_DSS_FLAG_F;
}

static int parse_dss(const uint8_t *p, size_t len, struct wire_dss *d)
{
    if (len < 4) /* the flags byte */
        return UMPTCP_ERR_BAD_LENGTH;
    wire_dss_set_flags(d, p[3]);

    /* 3.3: the checksum (2 bytes after the DLL) is present only with a mapping, and its
     * presence can be inferred from the Length. Any other Length contradicts the flags. */
    size_t base = dss_base_length(d);
    if (len == base + 2 && d->has_map)
        d->csum_present = true;
    else if (len != base)
        return UMPTCP_ERR_BAD_LENGTH;

    const uint8_t *q = p + 4;
    if (d->has_ack) {
        d->data_ack = d->ack64 ? be64_get(q) : be32_get(q);
        q += d->ack64 ? 8 : 4;
    }
    if (d->has_map) {
        d->dsn = d->dsn64 ? be64_get(q) : be32_get(q);
        q += d->dsn64 ? 8 : 4;
        d->ssn = be32_get(q);
        d->dll = be16_get(q + 4);
        if (d->csum_present)
            d->csum = be16_get(q + 6);
    }
    return 0;
}

/* ---- ADD_ADDR (3.4.1) ---- */

static int parse_add_addr(const uint8_t *p, size_t len, struct wire_add_addr *a)
{
    a->echo = p[2] & 0x01;
    /* Length without the HMAC: 4 + address (4/16) + optional port (2). */
    if (!a->echo && len < 3 + WIRE_ADD_ADDR_HMAC_LEN)
        return UMPTCP_ERR_BAD_LENGTH;
    size_t n = a->echo ? len : len - WIRE_ADD_ADDR_HMAC_LEN;
    size_t alen;
    switch (n) {
    case 8:
    case 10:
        alen = 4;
        a->addr.family = UMPTCP_AF_INET;
        break;
    case 20:
    case 22:
        alen = 16;
        a->addr.family = UMPTCP_AF_INET6;
        break;
    default:
        return UMPTCP_ERR_BAD_LENGTH;
    }
    a->addr_id = p[3];
    memcpy(a->addr.bytes, p + 4, alen);
    const uint8_t *q = p + 4 + alen;
    a->has_port = n == 4 + alen + 2;
    if (a->has_port) {
        a->port = be16_get(q);
        q += 2;
    }
    if (!a->echo)
        memcpy(a->hmac, q, WIRE_ADD_ADDR_HMAC_LEN);
    return 0;
}

/* ---- REMOVE_ADDR (3.4.2), MP_PRIO (3.3.8) ---- */

static int parse_remove_addr(const uint8_t *p, size_t len, struct wire_remove_addr *r)
{
    if (len < 4) /* at least one Address ID */
        return UMPTCP_ERR_BAD_LENGTH;
    r->count = (uint8_t)(len - 3);
    memcpy(r->ids, p + 3, r->count);
    return 0;
}

static int parse_mp_prio(const uint8_t *p, size_t len, struct wire_mp_prio *m)
{
    if (len != 3 && len != 4)
        return UMPTCP_ERR_BAD_LENGTH;
    m->backup = p[2] & 0x01;
    if (len == 4) { /* RFC 6824 (v0) form with an address ID */
        m->has_addr_id = true;
        m->addr_id = p[3];
    }
    return 0;
}

/* ---- MP_FAIL (3.7), MP_FASTCLOSE (3.5): 12 reserved bits and a 64-bit value ---- */

static int parse_u64_option(const uint8_t *p, size_t len, uint64_t *value)
{
    if (len != 12)
        return UMPTCP_ERR_BAD_LENGTH;
    *value = be64_get(p + 4);
    return 0;
}

/* ---- MP_TCPRST (3.6), MP_EXPERIMENTAL (7.2) ---- */

static int parse_mp_tcprst(const uint8_t *p, size_t len, struct wire_mp_tcprst *t)
{
    if (len != 4)
        return UMPTCP_ERR_BAD_LENGTH;
    t->flags = p[2] & 0x0f;
    t->reason = p[3];
    return 0;
}

static int parse_mp_experimental(const uint8_t *p, size_t len, struct wire_mp_experimental *e)
{
    e->nibble = p[2] & 0x0f;
    e->len = (uint8_t)(len - 3);
    memcpy(e->data, p + 3, e->len);
    return 0;
}

static int parse_body(const uint8_t *p, size_t len, struct wire_mptcp_opt *out)
{
    switch (out->subtype) {
    case WIRE_MPTCP_MP_CAPABLE:
        return parse_mp_capable(p, len, &out->u.mpc);
    case WIRE_MPTCP_MP_JOIN:
        return parse_mp_join(p, len, &out->u.join);
    case WIRE_MPTCP_DSS:
        return parse_dss(p, len, &out->u.dss);
    case WIRE_MPTCP_ADD_ADDR:
        return parse_add_addr(p, len, &out->u.add_addr);
    case WIRE_MPTCP_REMOVE_ADDR:
        return parse_remove_addr(p, len, &out->u.rm_addr);
    case WIRE_MPTCP_MP_PRIO:
        return parse_mp_prio(p, len, &out->u.prio);
    case WIRE_MPTCP_MP_FAIL:
        return parse_u64_option(p, len, &out->u.fail.dsn);
    case WIRE_MPTCP_MP_FASTCLOSE:
        return parse_u64_option(p, len, &out->u.fastclose.rcv_key);
    case WIRE_MPTCP_MP_TCPRST:
        return parse_mp_tcprst(p, len, &out->u.tcprst);
    case WIRE_MPTCP_MP_EXPERIMENTAL:
        return parse_mp_experimental(p, len, &out->u.exp);
    default:
        return UMPTCP_ERR_BAD_SUBTYPE;
    }
}

int wire_mptcp_parse(const uint8_t *opt, size_t len, struct wire_mptcp_opt *out)
{
    if (out == NULL)
        return UMPTCP_ERR_INVAL;
    memset(out, 0, sizeof(*out));
    if (opt == NULL)
        return UMPTCP_ERR_INVAL;
    if (len < 2)
        return UMPTCP_ERR_TRUNCATED;
    if (opt[0] != WIRE_TCPOPT_MPTCP)
        return UMPTCP_ERR_PROTO;
    size_t olen = opt[1];
    if (olen < 3) /* Figure 3: kind, length and the subtype byte at least */
        return UMPTCP_ERR_BAD_LENGTH;
    if (olen > len)
        return UMPTCP_ERR_TRUNCATED;
    out->subtype = opt[2] >> 4;
    if (olen > WIRE_MPTCP_MAX_LEN)
        return UMPTCP_ERR_BAD_LENGTH;
    int err = parse_body(opt, olen, out);
    return err < 0 ? err : (int)olen;
}
