/* MPTCP options: comparison and one-line printing (parse and write are in
 * mptcp_opt_parse.c and mptcp_opt_write.c). */
#include "wire/mptcp_opt.h"
#include "wire/segment.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "umptcp/error.h"

/* ---- equality on what reaches the wire ---- */

static bool mpc_equal(const struct wire_mp_capable *a, const struct wire_mp_capable *b)
{
    if (a->form != b->form || a->version != b->version || a->flags != b->flags)
        return false;
    if (a->form >= WIRE_MPC_SYNACK && a->snd_key != b->snd_key)
        return false;
    if (a->form >= WIRE_MPC_ACK && a->rcv_key != b->rcv_key)
        return false;
    if (a->form != WIRE_MPC_ACK_DATA)
        return true;
    return a->dll == b->dll && a->csum_present == b->csum_present &&
           (!a->csum_present || a->csum == b->csum);
}

static bool join_equal(const struct wire_mp_join *a, const struct wire_mp_join *b)
{
    if (a->form != b->form)
        return false;
    if (a->form == WIRE_JOIN_ACK)
        return memcmp(a->hmac, b->hmac, WIRE_JOIN_ACK_HMAC_LEN) == 0;
    if (a->backup != b->backup || a->addr_id != b->addr_id || a->nonce != b->nonce)
        return false;
    if (a->form == WIRE_JOIN_SYN)
        return a->token == b->token;
    return memcmp(a->hmac, b->hmac, WIRE_JOIN_SYNACK_HMAC_LEN) == 0;
}

/* A 4-byte field carries only the low 32 bits of the value. */
static bool seq_equal(uint64_t a, uint64_t b, bool wide)
{
    return wide ? a == b : (uint32_t)a == (uint32_t)b;
}

static bool dss_equal(const struct wire_dss *a, const struct wire_dss *b)
{
    if (a->has_ack != b->has_ack || a->ack64 != b->ack64 || a->has_map != b->has_map ||
        a->dsn64 != b->dsn64 || a->data_fin != b->data_fin)
        return false;
    if (a->has_ack && !seq_equal(a->data_ack, b->data_ack, a->ack64))
        return false;
    if (!a->has_map)
        return !a->csum_present && !b->csum_present;
    return seq_equal(a->dsn, b->dsn, a->dsn64) && a->ssn == b->ssn && a->dll == b->dll &&
           a->csum_present == b->csum_present && (!a->csum_present || a->csum == b->csum);
}

static bool add_addr_equal(const struct wire_add_addr *a, const struct wire_add_addr *b)
{
    if (a->echo != b->echo || a->addr_id != b->addr_id || a->has_port != b->has_port)
        return false;
    if (!umptcp_addr_equal(&a->addr, &b->addr) || (a->has_port && a->port != b->port))
        return false;
    return a->echo || memcmp(a->hmac, b->hmac, WIRE_ADD_ADDR_HMAC_LEN) == 0;
}

bool wire_mptcp_equal(const struct wire_mptcp_opt *a, const struct wire_mptcp_opt *b)
{
    if (a->subtype != b->subtype)
        return false;
    const struct wire_remove_addr *ra = &a->u.rm_addr, *rb = &b->u.rm_addr;
    switch (a->subtype) {
    case WIRE_MPTCP_MP_CAPABLE:
        return mpc_equal(&a->u.mpc, &b->u.mpc);
    case WIRE_MPTCP_MP_JOIN:
        return join_equal(&a->u.join, &b->u.join);
    case WIRE_MPTCP_DSS:
        return dss_equal(&a->u.dss, &b->u.dss);
    case WIRE_MPTCP_ADD_ADDR:
        return add_addr_equal(&a->u.add_addr, &b->u.add_addr);
    case WIRE_MPTCP_REMOVE_ADDR:
        return ra->count == rb->count && ra->count <= WIRE_MPTCP_MAX_RM_IDS &&
               memcmp(ra->ids, rb->ids, ra->count) == 0;
    case WIRE_MPTCP_MP_PRIO:
        return a->u.prio.backup == b->u.prio.backup &&
               a->u.prio.has_addr_id == b->u.prio.has_addr_id &&
               (!a->u.prio.has_addr_id || a->u.prio.addr_id == b->u.prio.addr_id);
    case WIRE_MPTCP_MP_FAIL:
        return a->u.fail.dsn == b->u.fail.dsn;
    case WIRE_MPTCP_MP_FASTCLOSE:
        return a->u.fastclose.rcv_key == b->u.fastclose.rcv_key;
    case WIRE_MPTCP_MP_TCPRST:
        return a->u.tcprst.flags == b->u.tcprst.flags && a->u.tcprst.reason == b->u.tcprst.reason;
    case WIRE_MPTCP_MP_EXPERIMENTAL:
        return a->u.exp.nibble == b->u.exp.nibble && a->u.exp.len == b->u.exp.len &&
               a->u.exp.len <= WIRE_MPTCP_MAX_EXP_DATA &&
               memcmp(a->u.exp.data, b->u.exp.data, a->u.exp.len) == 0;
    default:
        return true; /* no fields */
    }
}

const char *wire_mptcp_subtype_name(unsigned subtype)
{
    static const char *const names[] = {
        "MP_CAPABLE", "MP_JOIN", "DSS",          "ADD_ADDR",  "REMOVE_ADDR",
        "MP_PRIO",    "MP_FAIL", "MP_FASTCLOSE", "MP_TCPRST",
    };
    if (subtype < sizeof(names) / sizeof(names[0]))
        return names[subtype];
    return subtype == WIRE_MPTCP_MP_EXPERIMENTAL ? "MP_EXPERIMENTAL" : "UNASSIGNED";
}

/* ---- printing: appends to a bounded buffer, remembering whether anything was cut ---- */

struct fmt_buf {
    char *buf;
    size_t cap;
    size_t len; /* characters that would have been written */
};

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void
fmt_add(struct fmt_buf *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t room = f->len < f->cap ? f->cap - f->len : 0;
    int n = vsnprintf(room > 0 ? f->buf + f->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0)
        f->len += (size_t)n;
}

static void fmt_hex(struct fmt_buf *f, const char *label, const uint8_t *b, size_t n)
{
    fmt_add(f, " %s=", label);
    for (size_t i = 0; i < n; i++)
        fmt_add(f, "%02x", b[i]);
}

static void fmt_mpc(struct fmt_buf *f, const struct wire_mp_capable *m)
{
    static const char letters[] = "ABCDEFGH";
    fmt_add(f, " v%u flags=0x%02x[", m->version, m->flags);
    for (int i = 0; i < 8; i++)
        if (m->flags & (0x80 >> i))
            fmt_add(f, "%c", letters[i]);
    fmt_add(f, "]");
    if (m->form >= WIRE_MPC_SYNACK)
        fmt_add(f, " skey=0x%016" PRIx64, m->snd_key);
    if (m->form >= WIRE_MPC_ACK)
        fmt_add(f, " rkey=0x%016" PRIx64, m->rcv_key);
    if (m->form == WIRE_MPC_ACK_DATA) {
        fmt_add(f, " len=%u", m->dll);
        if (m->csum_present)
            fmt_add(f, " csum=0x%04x", m->csum);
    }
}

static void fmt_join(struct fmt_buf *f, const struct wire_mp_join *j)
{
    static const char *const forms[] = {"syn", "synack", "ack"};
    fmt_add(f, " %s", j->form <= WIRE_JOIN_ACK ? forms[j->form] : "?");
    if (j->form == WIRE_JOIN_ACK) {
        fmt_hex(f, "hmac", j->hmac, WIRE_JOIN_ACK_HMAC_LEN);
        return;
    }
    fmt_add(f, " id=%u", j->addr_id);
    if (j->form == WIRE_JOIN_SYN)
        fmt_add(f, " token=0x%08" PRIx32, j->token);
    else
        fmt_hex(f, "hmac", j->hmac, WIRE_JOIN_SYNACK_HMAC_LEN);
    fmt_add(f, " nonce=0x%08" PRIx32 "%s", j->nonce, j->backup ? " backup" : "");
}

static void fmt_dss(struct fmt_buf *f, const struct wire_dss *d)
{
    if (d->has_ack)
        fmt_add(f, " ack%s=%" PRIu64, d->ack64 ? "" : "32", d->data_ack);
    if (d->has_map) {
        fmt_add(f, " dsn%s=%" PRIu64 " ssn=%" PRIu32 " len=%u", d->dsn64 ? "" : "32", d->dsn,
                d->ssn, d->dll);
        if (d->csum_present)
            fmt_add(f, " csum=0x%04x", d->csum);
    }
    if (d->data_fin)
        fmt_add(f, " fin");
}

static void fmt_add_addr(struct fmt_buf *f, const struct wire_add_addr *a)
{
    char text[UMPTCP_ADDR_STRLEN];
    fmt_add(f, " id=%u %s", a->addr_id, umptcp_addr_format(&a->addr, text, sizeof(text)));
    if (a->has_port)
        fmt_add(f, " port=%u", a->port);
    if (a->echo)
        fmt_add(f, " echo");
    else
        fmt_hex(f, "hmac", a->hmac, WIRE_ADD_ADDR_HMAC_LEN);
}

static void fmt_body(struct fmt_buf *f, const struct wire_mptcp_opt *o)
{
    switch (o->subtype) {
    case WIRE_MPTCP_MP_CAPABLE:
        fmt_mpc(f, &o->u.mpc);
        break;
    case WIRE_MPTCP_MP_JOIN:
        fmt_join(f, &o->u.join);
        break;
    case WIRE_MPTCP_DSS:
        fmt_dss(f, &o->u.dss);
        break;
    case WIRE_MPTCP_ADD_ADDR:
        fmt_add_addr(f, &o->u.add_addr);
        break;
    case WIRE_MPTCP_REMOVE_ADDR:
        fmt_add(f, " ids=");
        for (unsigned i = 0; i < o->u.rm_addr.count && i < WIRE_MPTCP_MAX_RM_IDS; i++)
            fmt_add(f, "%s%u", i ? "," : "", o->u.rm_addr.ids[i]);
        break;
    case WIRE_MPTCP_MP_PRIO:
        fmt_add(f, " backup=%d", o->u.prio.backup);
        if (o->u.prio.has_addr_id)
            fmt_add(f, " id=%u", o->u.prio.addr_id);
        break;
    case WIRE_MPTCP_MP_FAIL:
        fmt_add(f, " dsn=%" PRIu64, o->u.fail.dsn);
        break;
    case WIRE_MPTCP_MP_FASTCLOSE:
        fmt_add(f, " rkey=0x%016" PRIx64, o->u.fastclose.rcv_key);
        break;
    case WIRE_MPTCP_MP_TCPRST:
        fmt_add(f, " reason=%u flags=0x%x%s", o->u.tcprst.reason, o->u.tcprst.flags,
                (o->u.tcprst.flags & WIRE_TCPRST_FLAG_T) ? " transient" : "");
        break;
    case WIRE_MPTCP_MP_EXPERIMENTAL:
        fmt_add(f, " nibble=0x%x", o->u.exp.nibble);
        fmt_hex(f, "data", o->u.exp.data, o->u.exp.len < 16 ? o->u.exp.len : 16);
        break;
    default:
        break;
    }
}

int wire_mptcp_format(const struct wire_mptcp_opt *o, char *buf, size_t cap)
{
    if (o == NULL || (buf == NULL && cap > 0))
        return UMPTCP_ERR_INVAL;
    struct fmt_buf f = {buf, cap, 0};
    if (cap > 0)
        buf[0] = '\0';
    fmt_add(&f, "%s", wire_mptcp_subtype_name(o->subtype));
    fmt_body(&f, o);
    if (f.len >= cap)
        return UMPTCP_ERR_NOSPACE;
    return (int)f.len;
}

bool wire_mptcp_find(const struct wire_segment *seg, unsigned subtype, struct wire_mptcp_opt *out)
{
    for (unsigned i = 0; i < seg->opt.mptcp_count; i++)
        if (wire_mptcp_parse(seg->opt.mptcp[i].data, seg->opt.mptcp[i].len, out) > 0 &&
            out->subtype == subtype)
            return true;
    return false;
}

size_t wire_mptcp_put(const struct wire_mptcp_opt *o, uint8_t *buf, size_t room)
{
    int n = wire_mptcp_write(o, buf, room);
    return n > 0 ? (size_t)n : 0;
}
