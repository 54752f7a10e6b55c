/* Scheduler framework: the common eligibility rules, the per-connection instance and the
 * per-stack registry of named schedulers (RFC 8684 3.3.8). See mptcp_sched.h. */
#include "mptcp/mptcp_sched.h"
#include "util/ops_name.h"
#include "util/ops_registry.h"

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
    ops_registry_clear(&reg->r);
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
    return rc != UMPTCP_OK ? rc : ops_registry_add(&reg->r, ops, MPTCP_SCHED_NAME_MAX);
}

const struct mptcp_sched_ops *mptcp_sched_registry_find(const struct mptcp_sched_registry *reg,
                                                        const char *name)
{
    return reg == NULL ? NULL : ops_registry_find(&reg->r, name);
}

size_t mptcp_sched_registry_count(const struct mptcp_sched_registry *reg)
{
    return reg == NULL ? 0 : ops_registry_count(&reg->r);
}

const char *mptcp_sched_registry_name_at(const struct mptcp_sched_registry *reg, size_t i)
{
    return reg == NULL ? NULL : ops_registry_name_at(&reg->r, i);
}

int mptcp_sched_registry_list(const struct mptcp_sched_registry *reg, char *buf, size_t len)
{
    return reg == NULL ? UMPTCP_ERR_INVAL : ops_registry_list(&reg->r, buf, len);
}
