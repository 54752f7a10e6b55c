/* The keys of [link NAME] and [flow NAME] sections. What needs other sections (link ends,
 * flow hosts, queues given as a time) is only recorded here and resolved by validation. */
#include "scenario/scenario.h"
#include "scenario/scenario_ops.h"
#include "scenario/scenario_parse_internal.h"
#include "scenario/scenario_values.h"

#include <stdio.h>
#include <string.h>

#define SCN_WHY_MAX 160
#define SCN_FLOW_MAX_SUBFLOWS 8

/* ---- [link NAME] ----------------------------------------------------------------------- */

static const char *const scn_lkey_names[SCN_LK_COUNT] = {
    "rate", "delay", "queue", "loss", "reorder", "duplicate", "reorder_delay", "middlebox",
};

static const char *const scn_middlebox_names[] = {
    "none", "strip-mptcp", "strip-mptcp-data", "rewrite-payload", "drop-add-addr", "nat",
};

void scn_link_defaults(struct scn_link *l)
{
    memset(l, 0, sizeof(*l));
    l->iface[0] = l->iface[1] = -1;
    for (int d = 0; d < 2; d++) {
        sim_link_config_init(&l->dir[d].cfg);
        l->dir[d].cfg.reorder_delay_ns = SCN_DEFAULT_REORDER_DELAY_NS;
        l->dir[d].middlebox = SCN_MB_NONE;
    }
}

/* A parsed per-direction value. */
struct scn_lval {
    uint64_t u;
    double p;
    bool queue_time;
};

static int scn_link_queue_value(const char *value, struct scn_lval *v, char *why, size_t len)
{
    char twhy[SCN_WHY_MAX];
    if (scn_value_size(value, &v->u, why, len) == 0)
        return 0;
    if (scn_value_time(value, SIM_LINK_MAX_DELAY_NS, &v->u, twhy, sizeof(twhy)) == 0) {
        v->queue_time = true;
        return 0;
    }
    if (strncmp(twhy, "expected", 8) != 0)
        snprintf(why, len, "%s", twhy);
    else if (strncmp(why, "expected", 8) == 0)
        snprintf(why, len,
                 "expected a size such as 100KB or 64KiB, or a time such as 50ms "
                 "(rate x time)");
    return -1;
}

static int scn_link_value(enum scn_lkey k, const char *value, struct scn_lval *v, char *why,
                          size_t len)
{
    switch (k) {
    case SCN_LK_RATE:
        return scn_value_rate(value, &v->u, why, len);
    case SCN_LK_DELAY:
    case SCN_LK_REORDER_DELAY:
        return scn_value_time(value, SIM_LINK_MAX_DELAY_NS, &v->u, why, len);
    case SCN_LK_QUEUE:
        return scn_link_queue_value(value, v, why, len);
    case SCN_LK_LOSS:
    case SCN_LK_REORDER:
    case SCN_LK_DUPLICATE:
        return scn_value_prob(value, &v->p, why, len);
    case SCN_LK_MIDDLEBOX:
        for (size_t i = 0; i < sizeof(scn_middlebox_names) / sizeof(scn_middlebox_names[0]); i++) {
            if (strcmp(value, scn_middlebox_names[i]) == 0) {
                v->u = i;
                return 0;
            }
        }
        snprintf(why, len,
                 "expected none, strip-mptcp, strip-mptcp-data, rewrite-payload, "
                 "drop-add-addr or nat");
        return -1;
    case SCN_LK_COUNT:
        break;
    }
    return -1;
}

static void scn_link_set(struct scn_dir *dir, enum scn_lkey k, const struct scn_lval *v)
{
    struct sim_link_config *c = &dir->cfg;
    switch (k) {
    case SCN_LK_RATE:
        c->rate_bps = v->u;
        break;
    case SCN_LK_DELAY:
        c->delay_ns = v->u;
        break;
    case SCN_LK_QUEUE:
        c->queue_limit_bytes = v->queue_time ? 0 : v->u; /* a time: resolved by validation */
        break;
    case SCN_LK_LOSS:
        c->loss = v->p;
        break;
    case SCN_LK_REORDER:
        c->reorder = v->p;
        break;
    case SCN_LK_DUPLICATE:
        c->duplicate = v->p;
        break;
    case SCN_LK_REORDER_DELAY:
        c->reorder_delay_ns = v->u;
        break;
    case SCN_LK_MIDDLEBOX:
        dir->middlebox = (enum scn_middlebox)v->u;
        break;
    case SCN_LK_COUNT:
        break;
    }
}

/* a = / b =: an address or a name, resolved once every section is read. */
static int scn_link_end(struct scn_pstate *st, int end, const char *key, const char *value)
{
    if (!scn_key_once(st, SCN_LK_COUNT * 3 + (size_t)end, key))
        return 0;
    umptcp_addr a;
    char why[SCN_WHY_MAX];
    if (strlen(value) >= SCN_END_MAX ||
        (!scn_addr_value(value, &a, why, sizeof(why)) && !scn_name_valid(value)))
        return scn_fail_value(st, key, value,
                              "expected an address of a host, or the name of a host or router");
    struct scn_plink *pl = &st->link[st->cur];
    snprintf(pl->end[end], sizeof(pl->end[end]), "%s", value);
    pl->end_line[end] = st->lineno;
    return 1;
}

/* KEY, KEY.ab or KEY.ba: the key and the variant (0, 1 or 2), or false. */
static bool scn_link_key_split(const char *key, enum scn_lkey *k, int *variant)
{
    const char *dot = strchr(key, '.');
    size_t n = dot != NULL ? (size_t)(dot - key) : strlen(key);
    *variant = dot == NULL ? 0 : strcmp(dot, ".ab") == 0 ? 1 : strcmp(dot, ".ba") == 0 ? 2 : -1;
    if (*variant < 0)
        return false;
    for (int i = 0; i < SCN_LK_COUNT; i++) {
        if (strlen(scn_lkey_names[i]) == n && strncmp(scn_lkey_names[i], key, n) == 0) {
            *k = (enum scn_lkey)i;
            return true;
        }
    }
    return false;
}

/* nat_address = ADDR: the public address of the link's NAT (middlebox = nat). */
static int scn_link_nat_address(struct scn_pstate *st, const char *key, const char *value)
{
    if (!scn_key_once(st, SCN_LK_COUNT * 3 + 2, key))
        return 0;
    char why[SCN_WHY_MAX];
    if (!scn_addr_value(value, &st->s->link[st->cur].nat_addr, why, sizeof(why)))
        return scn_fail_value(st, key, value, why);
    st->link[st->cur].nat_line = st->lineno;
    return 1;
}

int scn_link_key(struct scn_pstate *st, const char *key, const char *value)
{
    if (strcmp(key, "a") == 0 || strcmp(key, "b") == 0)
        return scn_link_end(st, key[0] - 'a', key, value);
    if (strcmp(key, "nat_address") == 0)
        return scn_link_nat_address(st, key, value);
    enum scn_lkey k;
    int variant;
    if (!scn_link_key_split(key, &k, &variant))
        return scn_fail(st, st->lineno,
                        "%s: unknown key '%s' (expected a, b, nat_address, rate, delay, queue, "
                        "loss, reorder, duplicate, reorder_delay or middlebox, the last eight "
                        "optionally with .ab or .ba)",
                        st->ctx, key);
    if (!scn_key_once(st, (size_t)k * 3 + (size_t)variant, key))
        return 0;
    struct scn_lval v = {0};
    char why[SCN_WHY_MAX];
    if (scn_link_value(k, value, &v, why, sizeof(why)) != 0)
        return scn_fail_value(st, key, value, why);
    if (k == SCN_LK_MIDDLEBOX && v.u == SCN_MB_NAT && variant != 0)
        return scn_fail_value(st, key, value,
                              "a NAT covers both directions: expected middlebox = nat");
    struct scn_plink *pl = &st->link[st->cur];
    uint8_t *key_prio = pl->prio[k % SCN_LK_COUNT]; /* k < SCN_LK_COUNT: said for gcc -O2 */
    int *key_line = pl->line[k % SCN_LK_COUNT];
    uint8_t prio = variant == 0 ? 1 : 2; /* KEY.ab/.ba wins over KEY whatever their order */
    for (int d = 0; d < 2; d++) {
        if ((variant != 0 && variant != d + 1) || key_prio[d] > prio)
            continue;
        scn_link_set(&st->s->link[st->cur].dir[d], k, &v);
        key_prio[d] = prio;
        key_line[d] = st->lineno;
        if (k == SCN_LK_QUEUE) {
            pl->queue_time[d] = v.queue_time;
            pl->queue_ns[d] = v.queue_time ? v.u : 0;
        }
    }
    return 1;
}

/* ---- [flow NAME] ----------------------------------------------------------------------- */

enum scn_fkey {
    SCN_FK_CLIENT,
    SCN_FK_SERVER,
    SCN_FK_SOURCE,
    SCN_FK_MPTCP,
    SCN_FK_CHECKSUM,
    SCN_FK_DIRECTION,
    SCN_FK_BYTES,
    SCN_FK_START,
    SCN_FK_CC,
    SCN_FK_SCHED,
    SCN_FK_PM,
    SCN_FK_MAX_SUBFLOWS,
    SCN_FK_PORT,
    SCN_FK_COUNT,
};

static const char *const scn_fkey_names[SCN_FK_COUNT] = {
    "client", "server", "source", "mptcp", "checksum",     "direction", "bytes",
    "start",  "cc",     "sched",  "pm",    "max_subflows", "port",
};

void scn_flow_defaults(struct scn_flow *f)
{
    memset(f, 0, sizeof(*f));
    f->mptcp = true;
    f->dir = SCN_FLOW_UPLOAD;
}

static int scn_flow_ops(struct scn_pstate *st, enum scn_ops_kind kind, const char *key,
                        const char *value, char *dst)
{
    char list[128], why[SCN_WHY_MAX + 128];
    if (!scn_ops_name_known(kind, value, list, sizeof(list))) {
        snprintf(why, sizeof(why), "unknown %s (available: %s)", scn_ops_kind_name(kind), list);
        return scn_fail_value(st, key, value, why);
    }
    if (strlen(value) >= SCN_OPS_NAME_MAX) /* the registries' names are shorter */
        return scn_fail_value(st, key, value, "too long");
    snprintf(dst, SCN_OPS_NAME_MAX, "%s", value);
    return 1;
}

static int scn_flow_direction(struct scn_pstate *st, struct scn_flow *f, const char *value)
{
    static const char *const names[] = {"upload", "download", "both"};
    for (size_t i = 0; i < 3; i++) {
        if (strcmp(value, names[i]) == 0) {
            f->dir = (enum scn_flow_dir)i;
            return 1;
        }
    }
    return scn_fail_value(st, "direction", value, "expected upload, download or both");
}

/* client, server and source: names and addresses resolved by validation. */
static int scn_flow_ends(struct scn_pstate *st, enum scn_fkey k, const char *value)
{
    struct scn_pflow *pf = &st->flow[st->cur];
    struct scn_flow *f = &st->s->flow[st->cur];
    char why[SCN_WHY_MAX];
    umptcp_addr a;
    if (k == SCN_FK_CLIENT) {
        if (!scn_name_valid(value))
            return scn_fail_value(st, "client", value, "expected the name of a host");
        snprintf(pf->client, sizeof(pf->client), "%s", value);
        pf->client_line = st->lineno;
    } else if (k == SCN_FK_SERVER) {
        if (strlen(value) >= SCN_END_MAX ||
            (!scn_addr_value(value, &a, why, sizeof(why)) && !scn_name_valid(value)))
            return scn_fail_value(st, "server", value,
                                  "expected the name of a host or one of its addresses");
        snprintf(pf->server, sizeof(pf->server), "%s", value);
        pf->server_line = st->lineno;
    } else {
        if (!scn_addr_value(value, &f->source, why, sizeof(why)))
            return scn_fail_value(st, "source", value, why);
        pf->source_line = st->lineno;
    }
    return 1;
}

static int scn_flow_number(struct scn_pstate *st, enum scn_fkey k, const char *value)
{
    struct scn_flow *f = &st->s->flow[st->cur];
    char why[SCN_WHY_MAX];
    uint64_t v = 0;
    int rc;
    switch (k) {
    case SCN_FK_BYTES:
        rc = scn_value_size(value, &f->bytes, why, sizeof(why));
        break;
    case SCN_FK_START:
        rc = scn_value_time(value, SCN_MAX_DURATION_NS, &f->start_ns, why, sizeof(why));
        st->flow[st->cur].start_line = st->lineno;
        break;
    case SCN_FK_MAX_SUBFLOWS:
        rc = scn_value_uint(value, 1, SCN_FLOW_MAX_SUBFLOWS, &v, why, sizeof(why));
        f->max_subflows = (unsigned)v;
        break;
    default:
        rc = scn_value_uint(value, 1, 65535, &v, why, sizeof(why));
        f->port = (uint16_t)v;
        st->flow[st->cur].port_line = st->lineno;
        break;
    }
    return rc == 0 ? 1 : scn_fail_value(st, scn_fkey_names[k], value, why);
}

int scn_flow_key(struct scn_pstate *st, const char *key, const char *value)
{
    size_t k = 0;
    while (k < SCN_FK_COUNT && strcmp(scn_fkey_names[k], key) != 0)
        k++;
    if (k == SCN_FK_COUNT)
        return scn_fail(st, st->lineno,
                        "%s: unknown key '%s' (expected client, server, source, mptcp, checksum, "
                        "direction, bytes, start, cc, sched, pm, max_subflows or port)",
                        st->ctx, key);
    if (!scn_key_once(st, k, key))
        return 0;
    struct scn_flow *f = &st->s->flow[st->cur];
    char why[SCN_WHY_MAX];
    switch ((enum scn_fkey)k) {
    case SCN_FK_CLIENT:
    case SCN_FK_SERVER:
    case SCN_FK_SOURCE:
        return scn_flow_ends(st, (enum scn_fkey)k, value);
    case SCN_FK_MPTCP:
    case SCN_FK_CHECKSUM:
        if (scn_value_bool(value, k == SCN_FK_MPTCP ? &f->mptcp : &f->checksum, why, sizeof(why)) !=
            0)
            return scn_fail_value(st, key, value, why);
        return 1;
    case SCN_FK_DIRECTION:
        return scn_flow_direction(st, f, value);
    case SCN_FK_CC:
        return scn_flow_ops(st, SCN_OPS_CC, key, value, f->cc);
    case SCN_FK_SCHED:
        return scn_flow_ops(st, SCN_OPS_SCHED, key, value, f->sched);
    case SCN_FK_PM:
        return scn_flow_ops(st, SCN_OPS_PM, key, value, f->pm);
    default:
        return scn_flow_number(st, (enum scn_fkey)k, value);
    }
}
