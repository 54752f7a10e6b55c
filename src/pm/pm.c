/* Path manager framework: the per-connection instance, hook dispatch, helpers every path
 * manager shares, and the per-stack registry. See pm.h. */
#include "pm/pm.h"

#include "mptcp/mptcp_conn.h"
#include "umptcp/error.h"
#include "util/ops_name.h"

#include <string.h>

int mptcp_pm_init(struct mptcp_pm *pm, const struct mptcp_pm_ops *ops,
                  const struct mptcp_pm_host *host, void *ctx, struct mptcp_conn *mc)
{
    if (pm == NULL || host == NULL || mc == NULL || mptcp_pm_ops_validate(ops) != UMPTCP_OK)
        return UMPTCP_ERR_INVAL;
    memset(pm, 0, sizeof(*pm));
    pm->ops = ops;
    pm->host = host;
    pm->ctx = ctx;
    pm->mc = mc;
    if (ops->init != NULL)
        ops->init(pm);
    return UMPTCP_OK;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

static bool mptcp_pm_live(const struct mptcp_pm *pm)
{
    return pm != NULL && pm->ops != NULL && pm->mc != NULL;
}

void mptcp_pm_established(struct mptcp_pm *pm, uint64_t now)
{
    if (mptcp_pm_live(pm) && pm->ops->established != NULL)
        pm->ops->established(pm, now);
}

void mptcp_pm_join_ready(struct mptcp_pm *pm, uint64_t now)
{
    if (mptcp_pm_live(pm) && pm->ops->join_ready != NULL)
        pm->ops->join_ready(pm, now);
}

void mptcp_pm_addr_announced(struct mptcp_pm *pm, const struct mptcp_remote_addr *r, uint64_t now)
{
    if (mptcp_pm_live(pm) && pm->ops->addr_announced != NULL)
        pm->ops->addr_announced(pm, r, now);
}

void mptcp_pm_addr_removed(struct mptcp_pm *pm, uint8_t id, uint64_t now)
{
    if (mptcp_pm_live(pm) && pm->ops->addr_removed != NULL)
        pm->ops->addr_removed(pm, id, now);
}

void mptcp_pm_local_addr_added(struct mptcp_pm *pm, const struct pm_local_addr *a, uint64_t now)
{
    if (mptcp_pm_live(pm) && pm->ops->local_addr_added != NULL)
        pm->ops->local_addr_added(pm, a, now);
}

void mptcp_pm_local_addr_removed(struct mptcp_pm *pm, const struct pm_local_addr *a, uint64_t now)
{
    if (mptcp_pm_live(pm) && pm->ops->local_addr_removed != NULL)
        pm->ops->local_addr_removed(pm, a, now);
}

void mptcp_pm_subflow_closed(struct mptcp_pm *pm, struct mptcp_subflow *sf, uint64_t now)
{
    if (mptcp_pm_live(pm) && pm->ops->subflow_closed != NULL)
        pm->ops->subflow_closed(pm, sf, now);
}

/* ---- helpers ------------------------------------------------------------------------------- */

unsigned mptcp_pm_count_pair(const struct mptcp_pm *pm, const umptcp_addr *local,
                             const umptcp_sockaddr *remote)
{
    const struct mptcp_conn *mc = pm->mc;
    unsigned n = 0;
    for (unsigned i = 0; i < mc->nsub; i++) {
        const struct tcp_sock *sk = mc->sub[i]->sk;
        if (sk != NULL && !mc->sub[i]->closed && umptcp_addr_equal(&sk->local.addr, local) &&
            umptcp_addr_equal(&sk->remote.addr, &remote->addr) && sk->remote.port == remote->port)
            n++;
    }
    return n;
}

umptcp_sockaddr mptcp_pm_initial_remote(const struct mptcp_pm *pm)
{
    return pm->mc->sub[0]->sk->remote;
}

umptcp_addr mptcp_pm_initial_local(const struct mptcp_pm *pm)
{
    return pm->mc->sub[0]->sk->local.addr;
}

bool mptcp_pm_can_open(const struct mptcp_pm *pm)
{
    return mptcp_conn_live_subflows(pm->mc) < pm->mc->max_subflows &&
           pm->mc->nsub < MPTCP_MAX_SUBFLOWS;
}

bool mptcp_pm_remote_joinable(const struct mptcp_pm *pm, const umptcp_sockaddr *remote)
{
    if (!pm->mc->peer_no_join_initial)
        return true;
    umptcp_sockaddr first = mptcp_pm_initial_remote(pm);
    return !umptcp_addr_equal(&remote->addr, &first.addr) || remote->port != first.port;
}

/* ---- registry ------------------------------------------------------------------------------ */

int mptcp_pm_ops_validate(const struct mptcp_pm_ops *ops)
{
    if (ops == NULL || !ops_name_valid(ops->name, MPTCP_PM_NAME_MAX) ||
        ops->priv_size > MPTCP_PM_PRIV_MAX)
        return UMPTCP_ERR_INVAL;
    return UMPTCP_OK;
}

int mptcp_pm_registry_init(struct mptcp_pm_registry *reg)
{
    if (reg == NULL)
        return UMPTCP_ERR_INVAL;
    ops_registry_clear(&reg->r);
    int rc = mptcp_pm_registry_add(reg, &mptcp_pm_fullmesh_ops);
    if (rc == UMPTCP_OK)
        rc = mptcp_pm_registry_add(reg, &mptcp_pm_ndiffports_ops);
    return rc;
}

int mptcp_pm_registry_add(struct mptcp_pm_registry *reg, const struct mptcp_pm_ops *ops)
{
    if (reg == NULL)
        return UMPTCP_ERR_INVAL;
    int rc = mptcp_pm_ops_validate(ops);
    return rc != UMPTCP_OK ? rc : ops_registry_add(&reg->r, ops, MPTCP_PM_NAME_MAX);
}

const struct mptcp_pm_ops *mptcp_pm_registry_find(const struct mptcp_pm_registry *reg,
                                                  const char *name)
{
    return reg == NULL ? NULL : ops_registry_find(&reg->r, name);
}

size_t mptcp_pm_registry_count(const struct mptcp_pm_registry *reg)
{
    return reg == NULL ? 0 : ops_registry_count(&reg->r);
}

const char *mptcp_pm_registry_name_at(const struct mptcp_pm_registry *reg, size_t i)
{
    return reg == NULL ? NULL : ops_registry_name_at(&reg->r, i);
}

int mptcp_pm_registry_list(const struct mptcp_pm_registry *reg, char *buf, size_t len)
{
    return reg == NULL ? UMPTCP_ERR_INVAL : ops_registry_list(&reg->r, buf, len);
}
