/* Scheduler framework: the common eligibility rules, the per-connection instance and the
 * per-stack registry of named schedulers (RFC 8684 3.3.8). See mptcp_sched.h. */
#include "mptcp/mptcp_sched.h"
#include "util/ops_name.h"

#include <string.h>

/* ---- eligibility ------------------------------------------------------------------------ */

uint32_t mptcp_sched_room(const struct mptcp_sched_subflow *sf)
{
    uint32_t room = sf->cwnd > sf->pipe ? sf->cwnd - sf->pipe : 0;
    if (sf->snd_wnd_room < room)
        room = sf->snd_wnd_room;
    if (sf->sndbuf_room < room)
        room = sf->sndbuf_room;
    return room;
}

bool mptcp_sched_has_room(const struct mptcp_sched_subflow *sf, size_t bytes)
{
    if (!sf->usable || sf->excluded)
        return false;
    /* A chunk needs room for a full segment (or for itself when smaller), so no subflow is
     * handed data it would only trickle out (sender-side silly window avoidance). */
    size_t need = sf->mss != 0 && sf->mss < bytes ? sf->mss : bytes;
    if (need == 0)
        need = 1;
    return mptcp_sched_room(sf) >= need;
}

bool mptcp_sched_backups_allowed(const struct mptcp_sched_subflow *sfs, size_t n)
{
    /* RFC 8684 3.3.8: B=1 subflows carry data only when no other subflow works. */
    for (size_t i = 0; i < n; i++)
        if (sfs[i].usable && !sfs[i].backup)
            return false;
    return true;
}

bool mptcp_sched_is_candidate(const struct mptcp_sched_subflow *sf, size_t bytes,
                              bool backups_allowed)
{
    if (sf->backup && !backups_allowed)
        return false;
    return mptcp_sched_has_room(sf, bytes);
}

/* ---- instance ----------------------------------------------------------------------------- */

int mptcp_sched_init(struct mptcp_sched *s, const struct mptcp_sched_ops *ops)
{
    if (s == NULL || mptcp_sched_ops_validate(ops) != UMPTCP_OK)
        return UMPTCP_ERR_INVAL;
    memset(s, 0, sizeof(*s));
    s->ops = ops;
    if (ops->init != NULL)
        ops->init(s);
    return UMPTCP_OK;
}

void mptcp_sched_release(struct mptcp_sched *s)
{
    if (s == NULL || s->ops == NULL)
        return;
    if (s->ops->release != NULL)
        s->ops->release(s);
    s->ops = NULL;
}

int mptcp_sched_pick(struct mptcp_sched *s, const struct mptcp_sched_subflow *sfs, size_t n,
                     size_t bytes)
{
    if (s == NULL || s->ops == NULL || sfs == NULL || n == 0 || bytes == 0)
        return MPTCP_SCHED_NONE;
    int i = s->ops->pick(s, sfs, n, bytes);
    if (i < 0 || (size_t)i >= n)
        return MPTCP_SCHED_NONE;
    return i;
}

/* ---- registry ------------------------------------------------------------------------------ */

int mptcp_sched_ops_validate(const struct mptcp_sched_ops *ops)
{
    if (ops == NULL || !ops_name_valid(ops->name, MPTCP_SCHED_NAME_MAX) || ops->pick == NULL)
        return UMPTCP_ERR_INVAL;
    if (ops->priv_size > MPTCP_SCHED_PRIV_MAX)
        return UMPTCP_ERR_INVAL;
    return UMPTCP_OK;
}

int mptcp_sched_registry_init(struct mptcp_sched_registry *reg)
{
    if (reg == NULL)
        return UMPTCP_ERR_INVAL;
    memset(reg, 0, sizeof(*reg));
    int rc = mptcp_sched_registry_add(reg, &mptcp_sched_minrtt_ops);
    if (rc == UMPTCP_OK)
        rc = mptcp_sched_registry_add(reg, &mptcp_sched_rr_ops);
    return rc;
}

int mptcp_sched_registry_add(struct mptcp_sched_registry *reg, const struct mptcp_sched_ops *ops)
{
    if (reg == NULL)
        return UMPTCP_ERR_INVAL;
    int rc = mptcp_sched_ops_validate(ops);
    if (rc != UMPTCP_OK)
        return rc;
    if (mptcp_sched_registry_find(reg, ops->name) != NULL)
        return UMPTCP_ERR_EXISTS;
    if (reg->count >= MPTCP_SCHED_REGISTRY_MAX)
        return UMPTCP_ERR_NOMEM;
    reg->ops[reg->count++] = ops;
    return UMPTCP_OK;
}

const struct mptcp_sched_ops *mptcp_sched_registry_find(const struct mptcp_sched_registry *reg,
                                                        const char *name)
{
    if (reg == NULL || name == NULL)
        return NULL;
    for (size_t i = 0; i < reg->count && i < MPTCP_SCHED_REGISTRY_MAX; i++)
        if (strcmp(reg->ops[i]->name, name) == 0)
            return reg->ops[i];
    return NULL;
}

size_t mptcp_sched_registry_count(const struct mptcp_sched_registry *reg)
{
    return reg == NULL ? 0 : reg->count;
}

const char *mptcp_sched_registry_name_at(const struct mptcp_sched_registry *reg, size_t i)
{
    if (reg == NULL || i >= reg->count || i >= MPTCP_SCHED_REGISTRY_MAX)
        return NULL;
    return reg->ops[i]->name;
}

int mptcp_sched_registry_list(const struct mptcp_sched_registry *reg, char *buf, size_t len)
{
    if (reg == NULL || (buf == NULL && len > 0))
        return UMPTCP_ERR_INVAL;
    size_t need = 0;
    for (size_t i = 0; i < reg->count && i < MPTCP_SCHED_REGISTRY_MAX; i++) {
        const char *parts[2] = {i > 0 ? ", " : "", reg->ops[i]->name};
        for (size_t k = 0; k < 2; k++)
            for (const char *p = parts[k]; *p != '\0'; p++, need++)
                if (need + 1 < len)
                    buf[need] = *p;
    }
    if (len > 0)
        buf[need < len ? need : len - 1] = '\0';
    return (int)need;
}
