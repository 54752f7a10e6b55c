/* Wireshark reads our MPTCP options as we meant them: every form of every subtype is written
 * by wire_mptcp_write into a TCP segment (wire_segment_build, IPv4 and some IPv6), the packets
 * go to a pcap, and tshark's field values are compared with the structs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"
#include "umptcp/error.h"
#include "umptcp/pcap.h"
#include "wire/mptcp_opt.h"
#include "wire/segment.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the tshark fields we read, in this order on each output line ---- */

enum field {
    F_SUBTYPE,
    F_VERSION,
    F_FLAGS,
    F_CSUMREQ,
    F_EXT,
    F_NOMORE,
    F_SHA256,
    F_SENDKEY,
    F_RECVKEY,
    F_DLL,
    F_CSUM,
    F_BACKUP,
    F_ADDRID,
    F_RECVTOK,
    F_SENDRAND,
    F_TRUNCHMAC,
    F_SENDHMAC,
    F_DATAFIN,
    F_DSN8,
    F_MAP,
    F_ACK8,
    F_ACKP,
    F_RAWACK,
    F_RAWDSN,
    F_SSN,
    F_ECHO,
    F_IPV4,
    F_IPV6,
    F_PORT,
    F_ADDHMAC,
    F_RMCOUNT,
    F_FLAG_U,
    F_FLAG_V,
    F_FLAG_W,
    F_FLAG_T,
    F_REASON,
    F_OPTLEN,
    F_OPTIONS,
    F_COUNT
};

static const char *const field_names[F_COUNT] = {
    [F_SUBTYPE] = "tcp.options.mptcp.subtype",
    [F_VERSION] = "tcp.options.mptcp.version",
    [F_FLAGS] = "tcp.options.mptcp.flags",
    [F_CSUMREQ] = "tcp.options.mptcp.checksumreq.flags",
    [F_EXT] = "tcp.options.mptcp.extensibility.flag",
    [F_NOMORE] = "tcp.options.mptcp.nomoresubflows.flag",
    [F_SHA256] = "tcp.options.mptcp.sha256.flag",
    [F_SENDKEY] = "tcp.options.mptcp.sendkey",
    [F_RECVKEY] = "tcp.options.mptcp.recvkey",
    [F_DLL] = "tcp.options.mptcp.datalvllen",
    [F_CSUM] = "tcp.options.mptcp.checksum",
    [F_BACKUP] = "tcp.options.mptcp.backup.flag",
    [F_ADDRID] = "tcp.options.mptcp.addrid",
    [F_RECVTOK] = "tcp.options.mptcp.recvtok",
    [F_SENDRAND] = "tcp.options.mptcp.sendrand",
    [F_TRUNCHMAC] = "tcp.options.mptcp.sendtrunchmac",
    [F_SENDHMAC] = "tcp.options.mptcp.sendhmac",
    [F_DATAFIN] = "tcp.options.mptcp.datafin.flag",
    [F_DSN8] = "tcp.options.mptcp.dseqn8.flag",
    [F_MAP] = "tcp.options.mptcp.dseqnpresent.flag",
    [F_ACK8] = "tcp.options.mptcp.dataack8.flag",
    [F_ACKP] = "tcp.options.mptcp.dataackpresent.flag",
    [F_RAWACK] = "tcp.options.mptcp.rawdataack",
    [F_RAWDSN] = "tcp.options.mptcp.rawdataseqno",
    [F_SSN] = "tcp.options.mptcp.subflowseqno",
    [F_ECHO] = "tcp.options.mptcp.echo",
    [F_IPV4] = "tcp.options.mptcp.ipv4",
    [F_IPV6] = "tcp.options.mptcp.ipv6",
    [F_PORT] = "tcp.options.mptcp.port",
    [F_ADDHMAC] = "tcp.options.mptcp.addaddrtrunchmac",
    [F_RMCOUNT] = "mptcp.rm_addr.count",
    [F_FLAG_U] = "tcp.options.mptcp.flag_U.flag",
    [F_FLAG_V] = "tcp.options.mptcp.flag_V.flag",
    [F_FLAG_W] = "tcp.options.mptcp.flag_W.flag",
    [F_FLAG_T] = "tcp.options.mptcp.flag_T.flag",
    [F_REASON] = "tcp.options.mptcp.rst_reason",
    [F_OPTLEN] = "tcp.option_len",
    [F_OPTIONS] = "tcp.options",
};

/* ---- the packets ---- */

#define MAX_CASES 160

struct pkt_case {
    struct wire_mptcp_opt opt;
    uint8_t tcp_flags;
    uint8_t family;
    uint16_t sport; /* one TCP stream per case, except handshakes */
    bool reverse;   /* sent by the server (port 80) */
};

struct case_list {
    struct pkt_case c[MAX_CASES];
    size_t n;
};

static struct pkt_case *add_case(struct case_list *l, uint8_t subtype, uint8_t tcp_flags)
{
    assert_true(l->n < MAX_CASES);
    struct pkt_case *c = &l->c[l->n];
    memset(c, 0, sizeof(*c));
    c->opt.subtype = subtype;
    c->tcp_flags = tcp_flags;
    c->family = (l->n % 5 == 4) ? UMPTCP_AF_INET6 : UMPTCP_AF_INET; /* a fifth in IPv6 */
    c->sport = (uint16_t)(20000 + l->n);
    l->n++;
    return c;
}

/* A value that differs per case so that packets cannot be confused with each other. */
static uint64_t case_value(const struct case_list *l, uint64_t salt)
{
    return 0x0102030405060708ull * (l->n + 1) ^ salt;
}

static void add_mpc_cases(struct case_list *l)
{
    static const struct {
        uint8_t form, tcp_flags, flags;
        bool csum;
    } forms[] = {
        {WIRE_MPC_SYN, WIRE_TCP_SYN, 0x81, false},
        {WIRE_MPC_SYN, WIRE_TCP_SYN, 0x01, false},
        {WIRE_MPC_SYNACK, WIRE_TCP_SYN | WIRE_TCP_ACK, 0x81, false},
        {WIRE_MPC_SYNACK, WIRE_TCP_SYN | WIRE_TCP_ACK, 0x21, false},
        {WIRE_MPC_ACK, WIRE_TCP_ACK, 0x81, false},
        {WIRE_MPC_ACK, WIRE_TCP_ACK, 0x01, false},
        {WIRE_MPC_ACK_DATA, WIRE_TCP_ACK, 0x01, false},
        {WIRE_MPC_ACK_DATA, WIRE_TCP_ACK, 0x81, true},
    };
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
        uint64_t k1 = case_value(l, 0xa5a5a5a5a5a5a5a5ull), k2 = case_value(l, 0x5a5a5a5a);
        struct pkt_case *c = add_case(l, WIRE_MPTCP_MP_CAPABLE, forms[i].tcp_flags);
        c->opt.u.mpc = (struct wire_mp_capable){.form = forms[i].form,
                                                .version = 1,
                                                .flags = forms[i].flags,
                                                .snd_key = k1,
                                                .rcv_key = k2,
                                                .dll = (uint16_t)(100 + i),
                                                .csum_present = forms[i].csum,
                                                .csum = (uint16_t)(0xc000 + i)};
    }
}

static void add_join_cases(struct case_list *l)
{
    static const uint8_t tcp_flags[] = {WIRE_TCP_SYN, WIRE_TCP_SYN | WIRE_TCP_ACK, WIRE_TCP_ACK};
    for (int backup = 0; backup <= 1; backup++) {
        for (uint8_t form = WIRE_JOIN_SYN; form <= WIRE_JOIN_ACK; form++) {
            uint64_t v = case_value(l, 0);
            struct pkt_case *c = add_case(l, WIRE_MPTCP_MP_JOIN, tcp_flags[form]);
            struct wire_mp_join *j = &c->opt.u.join;
            j->form = form;
            j->backup = backup;
            j->addr_id = (uint8_t)(3 + form + 10 * backup);
            j->token = (uint32_t)(v >> 32);
            j->nonce = (uint32_t)v;
            for (int i = 0; i < 20; i++)
                j->hmac[i] = (uint8_t)(v >> (i % 8) * 8) ^ (uint8_t)i;
        }
    }
}

/* An MP_CAPABLE handshake on port sport: Wireshark learns from it whether checksums are used
 * (it reads a DSS checksum only then), and checks the three forms on a real exchange. */
static void add_handshake(struct case_list *l, uint16_t sport, uint8_t mpc_flags)
{
    static const uint8_t forms[] = {WIRE_MPC_SYN, WIRE_MPC_SYNACK, WIRE_MPC_ACK};
    static const uint8_t tcp_flags[] = {WIRE_TCP_SYN, WIRE_TCP_SYN | WIRE_TCP_ACK, WIRE_TCP_ACK};
    uint64_t key_a = case_value(l, 0x1111), key_b = case_value(l, 0x2222);
    for (int i = 0; i < 3; i++) {
        struct pkt_case *c = add_case(l, WIRE_MPTCP_MP_CAPABLE, tcp_flags[i]);
        c->sport = sport;
        c->family = UMPTCP_AF_INET;
        c->reverse = i == 1;
        c->opt.u.mpc = (struct wire_mp_capable){.form = forms[i],
                                                .version = 1,
                                                .flags = mpc_flags,
                                                .snd_key = i == 1 ? key_b : key_a,
                                                .rcv_key = key_b};
    }
}

static void add_dss_cases(struct case_list *l)
{
    for (int csum = 0; csum <= 1; csum++) {
        uint16_t sport = (uint16_t)(30000 + csum);
        add_handshake(l, sport, csum ? 0x81 : 0x01);
        for (unsigned flags = 0; flags < 32; flags++) {
            if (csum && !(flags & WIRE_DSS_FLAG_M))
                continue;
            uint64_t v = case_value(l, 0x8000000080000000ull);
            struct pkt_case *c = add_case(l, WIRE_MPTCP_DSS, WIRE_TCP_ACK);
            c->sport = sport;
            c->family = UMPTCP_AF_INET;
            struct wire_dss *d = &c->opt.u.dss;
            wire_dss_set_flags(d, (uint8_t)flags);
            d->csum_present = csum;
            d->data_ack = d->ack64 ? v : (uint32_t)v;
            d->dsn = d->dsn64 ? ~v : (uint32_t)~v;
            d->ssn = (uint32_t)(v >> 16);
            d->dll = (uint16_t)(v >> 40);
            d->csum = (uint16_t)(v >> 8);
        }
    }
}

static void add_addr_cases(struct case_list *l)
{
    for (int i = 0; i < 8; i++) {
        bool v6 = i & 1, port = i & 2, echo = i & 4;
        struct pkt_case *c = add_case(l, WIRE_MPTCP_ADD_ADDR, WIRE_TCP_ACK);
        struct wire_add_addr *a = &c->opt.u.add_addr;
        a->echo = echo;
        a->addr_id = (uint8_t)(40 + i);
        char text[64];
        snprintf(text, sizeof(text), v6 ? "2001:db8:%d::%d" : "198.51.100.%d", i + 1, i + 7);
        assert_int_equal(umptcp_addr_parse(&a->addr, text), 0);
        a->has_port = port;
        a->port = port ? (uint16_t)(8000 + i) : 0;
        uint64_t v = case_value(l, 0);
        for (int k = 0; k < 8; k++)
            a->hmac[k] = (uint8_t)(v >> (8 * k));
    }
}

static void add_other_cases(struct case_list *l)
{
    static const uint8_t id_lists[][6] = {{1, 7}, {5, 0, 255, 3, 9, 42}};
    static const uint8_t id_counts[] = {1, 6};
    for (int i = 0; i < 2; i++) {
        struct pkt_case *c = add_case(l, WIRE_MPTCP_REMOVE_ADDR, WIRE_TCP_ACK);
        c->opt.u.rm_addr.count = id_counts[i];
        memcpy(c->opt.u.rm_addr.ids, id_lists[i], id_counts[i]);
    }
    for (int b = 0; b <= 1; b++) {
        struct pkt_case *c = add_case(l, WIRE_MPTCP_MP_PRIO, WIRE_TCP_ACK);
        c->opt.u.prio.backup = b;
    }
    struct pkt_case *c = add_case(l, WIRE_MPTCP_MP_PRIO, WIRE_TCP_ACK); /* v0 form */
    c->opt.u.prio = (struct wire_mp_prio){.backup = true, .has_addr_id = true, .addr_id = 6};
    c = add_case(l, WIRE_MPTCP_MP_EXPERIMENTAL, WIRE_TCP_ACK);
    c->opt.u.exp = (struct wire_mp_experimental){.nibble = 3, .len = 3, .data = {1, 2, 3}};
    c = add_case(l, WIRE_MPTCP_MP_FAIL, WIRE_TCP_ACK);
    c->opt.u.fail.dsn = 0xfedcba9876543210ull;
    c = add_case(l, WIRE_MPTCP_MP_FASTCLOSE, WIRE_TCP_ACK);
    c->opt.u.fastclose.rcv_key = 0x0011223344556677ull;
    c = add_case(l, WIRE_MPTCP_MP_FASTCLOSE, WIRE_TCP_RST);
    c->opt.u.fastclose.rcv_key = 0x8899aabbccddeeffull;
    for (uint8_t reason = 0; reason <= WIRE_TCPRST_MIDDLEBOX; reason++) {
        for (uint8_t flags = 0; flags < 16; flags += (reason == 0 ? 1 : 15)) {
            c = add_case(l, WIRE_MPTCP_MP_TCPRST, WIRE_TCP_RST);
            c->opt.u.tcprst.flags = flags;
            c->opt.u.tcprst.reason = reason;
        }
    }
}

static void build_cases(struct case_list *l)
{
    l->n = 0;
    add_mpc_cases(l);
    add_join_cases(l);
    add_dss_cases(l);
    add_addr_cases(l);
    add_other_cases(l);
}

/* ---- writing the pcap ---- */

static size_t build_packet(const struct pkt_case *c, uint8_t *pkt, size_t cap)
{
    uint8_t opt[WIRE_MPTCP_MAX_LEN];
    int n = wire_mptcp_write(&c->opt, opt, sizeof(opt));
    assert_true(n > 0);
    struct wire_tcp_options tcpo;
    memset(&tcpo, 0, sizeof(tcpo));
    tcpo.mptcp_count = 1;
    tcpo.mptcp[0] = (struct wire_opt_span){.data = opt, .len = (uint8_t)n};

    struct wire_segment_spec s;
    memset(&s, 0, sizeof(s));
    const char *src = c->family == UMPTCP_AF_INET ? "192.0.2.1" : "2001:db8::1";
    const char *dst = c->family == UMPTCP_AF_INET ? "192.0.2.2" : "2001:db8::2";
    assert_int_equal(umptcp_addr_parse(&s.src.addr, src), 0);
    assert_int_equal(umptcp_addr_parse(&s.dst.addr, dst), 0);
    s.src.port = c->sport;
    s.dst.port = 80;
    if (c->reverse) {
        umptcp_sockaddr t = s.src;
        s.src = s.dst;
        s.dst = t;
    }
    s.seq = 1000;
    s.ack = (c->tcp_flags & WIRE_TCP_ACK) ? 5000 : 0;
    s.flags = c->tcp_flags;
    s.window = 65535;
    s.opt = &tcpo;
    static const uint8_t payload[8] = "umptcp!";
    bool data = c->opt.subtype == WIRE_MPTCP_DSS ||
                (c->opt.subtype == WIRE_MPTCP_MP_CAPABLE && c->opt.u.mpc.form == WIRE_MPC_ACK_DATA);
    s.payload = data ? payload : NULL;
    s.payload_len = data ? sizeof(payload) : 0;
    size_t len = 0;
    assert_int_equal(wire_segment_build(&s, pkt, cap, &len), 0);
    return len;
}

static void write_pcap(const struct case_list *l, const char *path)
{
    umptcp_pcap *p = NULL;
    assert_int_equal(umptcp_pcap_open(&p, path), 0);
    for (size_t i = 0; i < l->n; i++) {
        uint8_t pkt[128];
        size_t len = build_packet(&l->c[i], pkt, sizeof(pkt));
        assert_int_equal(umptcp_pcap_write(p, 1000000000ull * (i + 1), pkt, len), 0);
    }
    umptcp_pcap_close(p);
}

/* ---- reading tshark's answer ---- */

static char *run_tshark(const char *path)
{
    size_t cap = 1 << 20;
    char *out = malloc(cap);
    assert_non_null(out);
    char cmd[4096];
    int k = snprintf(cmd, sizeof(cmd), "tshark -n -r '%s' -T fields -E separator=/t", path);
    for (int f = 0; f < F_COUNT; f++)
        k += snprintf(cmd + k, sizeof(cmd) - (size_t)k, " -e %s", field_names[f]);
    snprintf(cmd + k, sizeof(cmd) - (size_t)k, " 2>/dev/null");
    assert_int_equal(tu_run(cmd, out, cap), 0);
    return out;
}

/* ---- what tshark must print for each case ---- */

#define VAL_LEN 128

struct expect {
    char val[F_COUNT][VAL_LEN];
    bool check[F_COUNT];
};

#if defined(__GNUC__)
__attribute__((format(printf, 3, 4)))
#endif
static void
setf(struct expect *e, enum field f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->val[f], VAL_LEN, fmt, ap);
    va_end(ap);
}

static void set_bit(struct expect *e, enum field f, unsigned value, unsigned mask)
{
    setf(e, f, "%u", (value & mask) ? 1u : 0u);
}

static uint64_t be64_of(const uint8_t *b)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v = v << 8 | b[i];
    return v;
}

static void expect_mpc(struct expect *e, const struct wire_mp_capable *m)
{
    setf(e, F_VERSION, "%u", m->version);
    setf(e, F_FLAGS, "0x%02x", m->flags);
    set_bit(e, F_CSUMREQ, m->flags, WIRE_MPC_FLAG_A);
    set_bit(e, F_EXT, m->flags, WIRE_MPC_FLAG_B);
    set_bit(e, F_NOMORE, m->flags, WIRE_MPC_FLAG_C);
    set_bit(e, F_SHA256, m->flags, WIRE_MPC_FLAG_H);
    if (m->form >= WIRE_MPC_SYNACK)
        setf(e, F_SENDKEY, "%" PRIu64, m->snd_key);
    if (m->form >= WIRE_MPC_ACK)
        setf(e, F_RECVKEY, "%" PRIu64, m->rcv_key);
    if (m->form == WIRE_MPC_ACK_DATA)
        setf(e, F_DLL, "%u", m->dll);
    if (m->form == WIRE_MPC_ACK_DATA && m->csum_present)
        setf(e, F_CSUM, "0x%04x", m->csum);
}

static void expect_join(struct expect *e, const struct wire_mp_join *j)
{
    if (j->form == WIRE_JOIN_ACK) {
        for (int i = 0; i < WIRE_JOIN_ACK_HMAC_LEN; i++)
            snprintf(e->val[F_SENDHMAC] + 2 * i, 3, "%02x", j->hmac[i]);
        return;
    }
    setf(e, F_FLAGS, "0x%02x", 0x10 | (j->backup ? 1 : 0));
    setf(e, F_BACKUP, "%d", j->backup);
    setf(e, F_ADDRID, "%u", j->addr_id);
    setf(e, F_SENDRAND, "%" PRIu32, j->nonce);
    if (j->form == WIRE_JOIN_SYN)
        setf(e, F_RECVTOK, "%" PRIu32, j->token);
    else
        setf(e, F_TRUNCHMAC, "%" PRIu64, be64_of(j->hmac));
}

static void expect_dss(struct expect *e, const struct wire_dss *d)
{
    unsigned flags = wire_dss_flags(d);
    setf(e, F_FLAGS, "0x%02x", flags);
    set_bit(e, F_ACKP, flags, WIRE_DSS_FLAG_A);
    set_bit(e, F_ACK8, flags, WIRE_DSS_FLAG_a);
    set_bit(e, F_MAP, flags, WIRE_DSS_FLAG_M);
    set_bit(e, F_DSN8, flags, WIRE_DSS_FLAG_m);
    set_bit(e, F_DATAFIN, flags, WIRE_DSS_FLAG_F);
    if (d->has_ack)
        setf(e, F_RAWACK, "%" PRIu64, d->ack64 ? d->data_ack : (uint32_t)d->data_ack);
    if (d->has_map) {
        setf(e, F_RAWDSN, "%" PRIu64, d->dsn64 ? d->dsn : (uint32_t)d->dsn);
        setf(e, F_SSN, "%" PRIu32, d->ssn);
        setf(e, F_DLL, "%u", d->dll);
    }
    /* tshark 4.0 shows a DSS checksum only when the option is 4 bytes (not 2) longer than
     * without it, so it never shows a well-formed one: check its bytes in the raw options
     * instead (the option is the first in the block). */
    e->check[F_CSUM] = false;
    if (d->csum_present) {
        e->check[F_OPTIONS] = true;
        snprintf(e->val[F_OPTIONS], VAL_LEN, "%04x", d->csum);
    }
}

static void expect_add_addr(struct expect *e, const struct wire_add_addr *a)
{
    setf(e, F_ECHO, "%d", a->echo);
    setf(e, F_ADDRID, "%u", a->addr_id);
    char text[UMPTCP_ADDR_STRLEN];
    umptcp_addr_format(&a->addr, text, sizeof(text));
    setf(e, a->addr.family == UMPTCP_AF_INET ? F_IPV4 : F_IPV6, "%s", text);
    if (a->has_port)
        setf(e, F_PORT, "%u", a->port);
    if (!a->echo)
        setf(e, F_ADDHMAC, "%" PRIu64, be64_of(a->hmac));
}

static void expect_other(struct expect *e, const struct wire_mptcp_opt *o)
{
    switch (o->subtype) {
    case WIRE_MPTCP_REMOVE_ADDR:
        setf(e, F_RMCOUNT, "%u", o->u.rm_addr.count);
        for (unsigned i = 0; i < o->u.rm_addr.count; i++) {
            size_t used = strlen(e->val[F_ADDRID]);
            snprintf(e->val[F_ADDRID] + used, VAL_LEN - used, "%s%u", i ? "," : "",
                     o->u.rm_addr.ids[i]);
        }
        break;
    case WIRE_MPTCP_MP_PRIO:
        setf(e, F_FLAGS, "0x%02x", 0x50 | (o->u.prio.backup ? 1 : 0));
        setf(e, F_BACKUP, "%d", o->u.prio.backup);
        if (o->u.prio.has_addr_id)
            setf(e, F_ADDRID, "%u", o->u.prio.addr_id);
        break;
    case WIRE_MPTCP_MP_EXPERIMENTAL: /* opaque: only the subtype and length */
        break;
    case WIRE_MPTCP_MP_FAIL:
        setf(e, F_RAWDSN, "%" PRIu64, o->u.fail.dsn);
        break;
    case WIRE_MPTCP_MP_FASTCLOSE:
        setf(e, F_RECVKEY, "%" PRIu64, o->u.fastclose.rcv_key);
        break;
    case WIRE_MPTCP_MP_TCPRST:
        setf(e, F_FLAGS, "0x%02x", 0x80 | o->u.tcprst.flags);
        set_bit(e, F_FLAG_U, o->u.tcprst.flags, WIRE_TCPRST_FLAG_U);
        set_bit(e, F_FLAG_V, o->u.tcprst.flags, WIRE_TCPRST_FLAG_V);
        set_bit(e, F_FLAG_W, o->u.tcprst.flags, WIRE_TCPRST_FLAG_W);
        set_bit(e, F_FLAG_T, o->u.tcprst.flags, WIRE_TCPRST_FLAG_T);
        setf(e, F_REASON, "0x%02x", o->u.tcprst.reason);
        break;
    default:
        fail_msg("no expectation for subtype %u", o->subtype);
    }
}

/* Every field is checked: those the option does not carry must be empty. */
static void build_expect(const struct pkt_case *c, struct expect *e)
{
    memset(e, 0, sizeof(*e));
    for (int f = 0; f < F_COUNT; f++)
        e->check[f] = f != F_OPTIONS;
    int len = wire_mptcp_size(&c->opt);
    setf(e, F_SUBTYPE, "%u", c->opt.subtype);
    setf(e, F_OPTLEN, "%d", len);
    switch (c->opt.subtype) {
    case WIRE_MPTCP_MP_CAPABLE:
        expect_mpc(e, &c->opt.u.mpc);
        break;
    case WIRE_MPTCP_MP_JOIN:
        expect_join(e, &c->opt.u.join);
        break;
    case WIRE_MPTCP_DSS:
        expect_dss(e, &c->opt.u.dss);
        break;
    case WIRE_MPTCP_ADD_ADDR:
        expect_add_addr(e, &c->opt.u.add_addr);
        break;
    default:
        expect_other(e, &c->opt);
    }
}

/* Compares one tshark line (tab-separated fields, modified in place) with the expectation.
 * Returns true, or false with the reason in why. */
static bool line_matches(const struct pkt_case *c, char *line, char *why, size_t cap)
{
    struct expect e;
    build_expect(c, &e);
    char *cursor = line;
    for (int f = 0; f < F_COUNT; f++) {
        char *tab = strchr(cursor, '\t');
        if (tab == NULL && f != F_COUNT - 1) {
            snprintf(why, cap, "only %d fields", f + 1);
            return false;
        }
        if (tab != NULL)
            *tab = '\0';
        const char *got = cursor;
        cursor = tab != NULL ? tab + 1 : cursor + strlen(cursor);
        if (!e.check[f])
            continue;
        if (f == F_OPTIONS) {
            /* the checksum is the last 2 bytes of the option (the first in the block) */
            size_t len = (size_t)wire_mptcp_size(&c->opt);
            if (strlen(got) < 2 * len || strncmp(got + 2 * len - 4, e.val[f], 4) != 0) {
                snprintf(why, cap, "checksum %s not at the end of the option in %s", e.val[f], got);
                return false;
            }
        } else if (strcmp(got, e.val[f]) != 0) {
            snprintf(why, cap, "%s is \"%s\", expected \"%s\"", field_names[f], got, e.val[f]);
            return false;
        }
    }
    return true;
}

/* Writes the cases to a pcap, runs tshark, and returns how many lines matched their case
 * (failing the test with the first mismatch when fail_on_mismatch). */
static size_t run_cases(const struct case_list *l, bool fail_on_mismatch)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/mptcp-%zu.pcap", tu_tmpdir(), l->n);
    write_pcap(l, path);
    char *out = run_tshark(path);
    size_t lines = 0, matched = 0;
    char *save = NULL;
    for (char *line = strtok_r(out, "\n", &save); line != NULL;
         line = strtok_r(NULL, "\n", &save)) {
        assert_true(lines < l->n);
        char why[512], desc[WIRE_MPTCP_FORMAT_MAX];
        if (line_matches(&l->c[lines], line, why, sizeof(why))) {
            matched++;
        } else if (fail_on_mismatch) {
            wire_mptcp_format(&l->c[lines].opt, desc, sizeof(desc));
            free(out);
            fail_msg("frame %zu (%s): %s", lines + 1, desc, why);
        }
        lines++;
    }
    free(out);
    assert_int_equal(lines, l->n);
    return matched;
}

static void test_tshark_reads_every_form(void **state)
{
    (void)state;
    static struct case_list l;
    build_cases(&l);
    assert_true(l.n > 100);
    assert_int_equal(run_cases(&l, true), l.n);
}

/* The comparison notices a wrong value: tshark's line for an MP_FAIL written with DSN 7
 * matches a case with DSN 7 and not one with DSN 8. */
static void test_mismatch_is_detected(void **state)
{
    (void)state;
    static struct case_list l;
    l.n = 0;
    struct pkt_case *c = add_case(&l, WIRE_MPTCP_MP_FAIL, WIRE_TCP_ACK);
    c->opt.u.fail.dsn = 7;
    char path[300];
    snprintf(path, sizeof(path), "%s/mismatch.pcap", tu_tmpdir());
    write_pcap(&l, path);
    char *out = run_tshark(path);
    char *nl = strchr(out, '\n');
    assert_non_null(nl);
    *nl = '\0';
    char copy[1024], why[512] = "";
    snprintf(copy, sizeof(copy), "%s", out);
    assert_true(line_matches(c, copy, why, sizeof(why)));
    c->opt.u.fail.dsn = 8;
    snprintf(copy, sizeof(copy), "%s", out);
    assert_false(line_matches(c, copy, why, sizeof(why)));
    assert_non_null(strstr(why, "tcp.options.mptcp.rawdataseqno"));
    free(out);
}

int main(void)
{
    tu_require(tu_have_command("tshark"), "tshark");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tshark_reads_every_form),
        cmocka_unit_test(test_mismatch_is_detected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
