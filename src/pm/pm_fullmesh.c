/* "fullmesh", the default path manager (RFC 8684 3.4, RFC 8041 "full-mesh"): the initiator
 * opens a subflow from every local address to every address it knows of the peer (the one it
 * connected to and the announced ones), bounded by the subflow limit; the responder announces
 * its other addresses with ADD_ADDR. New local addresses join the mesh (initiator) or are
 * announced (responder). */
#include "mptcp/mptcp_conn.h"
#include "pm/pm.h"
#include "umptcp/stack.h"

#define FULLMESH_MAX_LOCAL (UMPTCP_MAX_INTERFACES * UMPTCP_MAX_IFACE_ADDRS)

/* One subflow from local to remote unless one exists (or the limit is reached). */
static void fullmesh_open(struct mptcp_pm *pm, const struct pm_local_addr *local,
                          const umptcp_sockaddr *remote, uint64_t now)
{
    if (local->addr.family != remote->addr.family || !mptcp_pm_can_open(pm) ||
        !mptcp_pm_remote_joinable(pm, remote) || mptcp_pm_count_pair(pm, &local->addr, remote) > 0)
        return;
    pm->host->open_subflow(pm->ctx, local, remote, now);
}

/* A subflow from every local address of the family to remote. */
static void fullmesh_mesh_to(struct mptcp_pm *pm, const umptcp_sockaddr *remote, uint64_t now)
{
    struct pm_local_addr la[FULLMESH_MAX_LOCAL];
    size_t n = pm->host->local_addrs(pm->ctx, la, FULLMESH_MAX_LOCAL);
    for (size_t i = 0; i < n; i++)
        fullmesh_open(pm, &la[i], remote, now);
}

/* The peer's announced address as a subflow's destination (port: the announced one, else the
 * port of the connection). */
static umptcp_sockaddr fullmesh_remote(const struct mptcp_pm *pm, const struct mptcp_remote_addr *r)
{
    umptcp_sockaddr to = {.addr = r->addr, .port = r->port};
    if (to.port == 0)
        to.port = mptcp_pm_initial_remote(pm).port;
    return to;
}

/* Initiator: once the peer has our key, mesh to the address we reached and to every address
 * the peer announced so far. */
static void fullmesh_join_ready(struct mptcp_pm *pm, uint64_t now)
{
    struct mptcp_conn *mc = pm->mc;
    umptcp_sockaddr first = mptcp_pm_initial_remote(pm);
    fullmesh_mesh_to(pm, &first, now);
    for (unsigned i = 0; i < mc->nraddr; i++) {
        umptcp_sockaddr r = fullmesh_remote(pm, &mc->raddr[i]);
        fullmesh_mesh_to(pm, &r, now);
    }
}

/* The peer announced an address (3.4.1): the initiator meshes to it. */
static void fullmesh_addr_announced(struct mptcp_pm *pm, const struct mptcp_remote_addr *r,
                                    uint64_t now)
{
    if (!pm->mc->initiator || !mptcp_conn_join_ready(pm->mc))
        return; /* join_ready meshes to it later */
    umptcp_sockaddr to = fullmesh_remote(pm, r);
    fullmesh_mesh_to(pm, &to, now);
}

/* Responder: announces one of our addresses of the connection's family, other than the one
 * the connection arrived on. */
static bool fullmesh_announce(struct mptcp_pm *pm, const struct pm_local_addr *a, uint64_t now)
{
    umptcp_addr first = mptcp_pm_initial_local(pm);
    if (a->addr.family != first.family || umptcp_addr_equal(&a->addr, &first))
        return false;
    return mptcp_conn_announce(pm->mc, a->id, &a->addr, now) == UMPTCP_OK;
}

static void fullmesh_established(struct mptcp_pm *pm, uint64_t now)
{
    struct mptcp_conn *mc = pm->mc;
    if (mc->initiator || mc->fallback)
        return;
    struct pm_local_addr la[FULLMESH_MAX_LOCAL];
    size_t n = pm->host->local_addrs(pm->ctx, la, FULLMESH_MAX_LOCAL);
    bool any = false;
    for (size_t i = 0; i < n; i++)
        any |= fullmesh_announce(pm, &la[i], now);
    if (any)
        mptcp_conn_signal_soon(mc); /* a segment without data carries the first announcement */
}

/* A new local address: the initiator meshes from it, the responder announces it. */
static void fullmesh_local_addr_added(struct mptcp_pm *pm, const struct pm_local_addr *a,
                                      uint64_t now)
{
    struct mptcp_conn *mc = pm->mc;
    if (mc->fallback || mc->closed)
        return;
    if (!mc->initiator) {
        if (mc->established && fullmesh_announce(pm, a, now))
            mptcp_conn_signal_now(mc, now);
        return;
    }
    if (!mptcp_conn_join_ready(mc))
        return;
    umptcp_sockaddr first = mptcp_pm_initial_remote(pm);
    fullmesh_open(pm, a, &first, now);
    for (unsigned i = 0; i < mc->nraddr; i++) {
        umptcp_sockaddr r = fullmesh_remote(pm, &mc->raddr[i]);
        fullmesh_open(pm, a, &r, now);
    }
}

const struct mptcp_pm_ops mptcp_pm_fullmesh_ops = {
    .name = "fullmesh",
    .established = fullmesh_established,
    .join_ready = fullmesh_join_ready,
    .addr_announced = fullmesh_addr_announced,
    .local_addr_added = fullmesh_local_addr_added,
};
