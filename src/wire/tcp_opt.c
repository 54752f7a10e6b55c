/* TCP options other than MPTCP: RFC 9293 3.2 (EOL, NOP, MSS), RFC 7323 (window scale,
 * timestamps), RFC 2018 (SACK). MPTCP options (RFC 8684) are passed through as spans. */
#include "wire/tcp_opt.h"

#include <stdbool.h>
#include <string.h>

#include "umptcp/error.h"
#include "util/bytes.h"

/* Decodes one known option of kind opt[0] and length len (checked against opt bounds).
 * Returns false when the length is wrong for the kind. */
static bool tcp_opt_decode_known(const uint8_t *opt, size_t len, struct wire_tcp_options *out)
{
    switch (opt[0]) {
    case WIRE_TCPOPT_MSS:
        if (len != WIRE_TCPOLEN_MSS)
            return false;
        out->mss = be16_get(opt + 2);
        out->present |= WIRE_OPT_MSS;
        return true;
    case WIRE_TCPOPT_WSCALE:
        if (len != WIRE_TCPOLEN_WSCALE)
            return false;
        out->wscale = opt[2];
        out->present |= WIRE_OPT_WSCALE;
        return true;
    case WIRE_TCPOPT_SACK_PERM:
        if (len != WIRE_TCPOLEN_SACK_PERM)
            return false;
        out->present |= WIRE_OPT_SACK_PERM;
        return true;
    case WIRE_TCPOPT_TIMESTAMP:
        if (len != WIRE_TCPOLEN_TIMESTAMP)
            return false;
        out->ts_val = be32_get(opt + 2);
        out->ts_ecr = be32_get(opt + 6);
        out->present |= WIRE_OPT_TIMESTAMP;
        return true;
    default: { /* WIRE_TCPOPT_SACK: RFC 2018 3, length 2 + 8 * n */
        size_t n = (len - WIRE_TCPOLEN_SACK_BASE) / WIRE_TCPOLEN_SACK_BLOCK;
        if ((len - WIRE_TCPOLEN_SACK_BASE) % WIRE_TCPOLEN_SACK_BLOCK != 0 || n == 0 ||
            n > WIRE_MAX_SACK_BLOCKS)
            return false;
        for (size_t i = 0; i < n; i++) {
            const uint8_t *b = opt + WIRE_TCPOLEN_SACK_BASE + i * WIRE_TCPOLEN_SACK_BLOCK;
            out->sack[i].left = be32_get(b);
            out->sack[i].right = be32_get(b + 4);
        }
        out->sack_count = (uint8_t)n;
        out->present |= WIRE_OPT_SACK;
        return true;
    }
    }
}

static bool tcp_opt_kind_known(uint8_t kind)
{
    return kind == WIRE_TCPOPT_MSS || kind == WIRE_TCPOPT_WSCALE || kind == WIRE_TCPOPT_SACK_PERM ||
           kind == WIRE_TCPOPT_SACK || kind == WIRE_TCPOPT_TIMESTAMP;
}

static void tcp_opt_count(uint8_t *counter)
{
    if (*counter < UINT8_MAX)
        (*counter)++;
}

static void tcp_opt_record(const uint8_t *opt, size_t len, struct wire_tcp_options *out)
{
    if (opt[0] == WIRE_TCPOPT_MPTCP) {
        if (out->mptcp_count < WIRE_MAX_MPTCP_OPTS) {
            out->mptcp[out->mptcp_count].data = opt;
            out->mptcp[out->mptcp_count].len = (uint8_t)len;
            out->mptcp_count++;
        } else {
            tcp_opt_count(&out->malformed_count);
        }
    } else if (!tcp_opt_kind_known(opt[0])) {
        tcp_opt_count(&out->unknown_count);
    } else if (!tcp_opt_decode_known(opt, len, out)) {
        tcp_opt_count(&out->malformed_count);
    }
}

int wire_tcp_options_parse(const uint8_t *opts, size_t len, struct wire_tcp_options *out)
{
    memset(out, 0, sizeof(*out));
    if (opts == NULL && len > 0)
        return UMPTCP_ERR_INVAL;
    size_t i = 0;
    while (i < len) {
        uint8_t kind = opts[i];
        if (kind == WIRE_TCPOPT_EOL) /* RFC 9293 3.2: end of the option list */
            break;
        if (kind == WIRE_TCPOPT_NOP) {
            i++;
            continue;
        }
        /* RFC 9293 3.2: every other option has a length byte counting kind and length. */
        if (len - i < 2)
            return UMPTCP_ERR_TRUNCATED;
        size_t olen = opts[i + 1];
        if (olen < 2)
            return UMPTCP_ERR_BAD_LENGTH;
        if (olen > len - i)
            return UMPTCP_ERR_TRUNCATED;
        tcp_opt_record(opts + i, olen, out);
        i += olen;
    }
    return UMPTCP_OK;
}

/* ---- writing ------------------------------------------------------------------------- */

static int tcp_opt_check(const struct wire_tcp_options *o)
{
    if ((o->present & WIRE_OPT_SACK) &&
        (o->sack_count == 0 || o->sack_count > WIRE_MAX_SACK_BLOCKS))
        return UMPTCP_ERR_INVAL;
    if (o->mptcp_count > WIRE_MAX_MPTCP_OPTS)
        return UMPTCP_ERR_INVAL;
    for (unsigned i = 0; i < o->mptcp_count; i++) {
        const struct wire_opt_span *sp = &o->mptcp[i];
        if (sp->data == NULL || sp->len < 2 || sp->data[0] != WIRE_TCPOPT_MPTCP ||
            sp->data[1] != sp->len)
            return UMPTCP_ERR_INVAL;
    }
    return UMPTCP_OK;
}

/* Unpadded size of the layout described at wire_tcp_options_size. */
static size_t tcp_opt_raw_size(const struct wire_tcp_options *o)
{
    size_t n = 0;
    if (o->present & WIRE_OPT_MSS)
        n += 4;
    if (o->present & WIRE_OPT_TIMESTAMP)
        n += 12; /* SACK_PERM,TS or NOP,NOP,TS */
    if (o->present & WIRE_OPT_WSCALE)
        n += 4; /* NOP,WSCALE */
    if ((o->present & WIRE_OPT_SACK_PERM) && !(o->present & WIRE_OPT_TIMESTAMP))
        n += 4; /* NOP,NOP,SACK_PERM */
    if (o->present & WIRE_OPT_SACK)
        n += 2 + WIRE_TCPOLEN_SACK_BASE + (size_t)o->sack_count * WIRE_TCPOLEN_SACK_BLOCK;
    for (unsigned i = 0; i < o->mptcp_count; i++)
        n += o->mptcp[i].len;
    return n;
}

int wire_tcp_options_size(const struct wire_tcp_options *o)
{
    if (o == NULL)
        return UMPTCP_ERR_INVAL;
    int rc = tcp_opt_check(o);
    if (rc != UMPTCP_OK)
        return rc;
    size_t n = (tcp_opt_raw_size(o) + 3) & ~(size_t)3;
    if (n > WIRE_TCPOPT_SPACE)
        return UMPTCP_ERR_NOSPACE;
    return (int)n;
}

static uint8_t *tcp_opt_put_nops(uint8_t *p, size_t n)
{
    memset(p, WIRE_TCPOPT_NOP, n);
    return p + n;
}

static uint8_t *tcp_opt_put_fixed(const struct wire_tcp_options *o, uint8_t *p)
{
    if (o->present & WIRE_OPT_MSS) {
        p[0] = WIRE_TCPOPT_MSS;
        p[1] = WIRE_TCPOLEN_MSS;
        be16_put(p + 2, o->mss);
        p += 4;
    }
    if (o->present & WIRE_OPT_TIMESTAMP) {
        /* RFC 7323 appendix A: lead with two bytes so both 32-bit values are aligned; on a
         * SYN SACK_PERM fills them instead of NOPs. */
        if (o->present & WIRE_OPT_SACK_PERM) {
            p[0] = WIRE_TCPOPT_SACK_PERM;
            p[1] = WIRE_TCPOLEN_SACK_PERM;
            p += 2;
        } else {
            p = tcp_opt_put_nops(p, 2);
        }
        p[0] = WIRE_TCPOPT_TIMESTAMP;
        p[1] = WIRE_TCPOLEN_TIMESTAMP;
        be32_put(p + 2, o->ts_val);
        be32_put(p + 6, o->ts_ecr);
        p += WIRE_TCPOLEN_TIMESTAMP;
    }
    if (o->present & WIRE_OPT_WSCALE) {
        p = tcp_opt_put_nops(p, 1);
        p[0] = WIRE_TCPOPT_WSCALE;
        p[1] = WIRE_TCPOLEN_WSCALE;
        p[2] = o->wscale;
        p += WIRE_TCPOLEN_WSCALE;
    }
    if ((o->present & WIRE_OPT_SACK_PERM) && !(o->present & WIRE_OPT_TIMESTAMP)) {
        p = tcp_opt_put_nops(p, 2);
        p[0] = WIRE_TCPOPT_SACK_PERM;
        p[1] = WIRE_TCPOLEN_SACK_PERM;
        p += 2;
    }
    return p;
}

static uint8_t *tcp_opt_put_sack(const struct wire_tcp_options *o, uint8_t *p)
{
    if (!(o->present & WIRE_OPT_SACK))
        return p;
    /* RFC 2018 3: NOP,NOP then kind, length and the blocks, keeping them aligned. */
    p = tcp_opt_put_nops(p, 2);
    p[0] = WIRE_TCPOPT_SACK;
    p[1] = (uint8_t)(WIRE_TCPOLEN_SACK_BASE + o->sack_count * WIRE_TCPOLEN_SACK_BLOCK);
    p += WIRE_TCPOLEN_SACK_BASE;
    for (unsigned i = 0; i < o->sack_count; i++) {
        be32_put(p, o->sack[i].left);
        be32_put(p + 4, o->sack[i].right);
        p += WIRE_TCPOLEN_SACK_BLOCK;
    }
    return p;
}

int wire_tcp_options_write(const struct wire_tcp_options *o, uint8_t *buf, size_t cap)
{
    int size = wire_tcp_options_size(o);
    if (size < 0)
        return size;
    if (size == 0)
        return 0;
    if ((size_t)size > cap || buf == NULL)
        return UMPTCP_ERR_NOSPACE;
    uint8_t *p = tcp_opt_put_fixed(o, buf);
    p = tcp_opt_put_sack(o, p);
    for (unsigned i = 0; i < o->mptcp_count; i++) {
        memcpy(p, o->mptcp[i].data, o->mptcp[i].len);
        p += o->mptcp[i].len;
    }
    /* Pad to a 32-bit boundary with NOPs, as common stacks do after variable options. */
    tcp_opt_put_nops(p, (size_t)(buf + size - p));
    return size;
}
