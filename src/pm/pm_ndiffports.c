/* "ndiffports" (RFC 8041 3.2, as Linux's out-of-tree MPTCP had it): the initiator opens
 * MPTCP_PM_NDIFFPORTS subflows in all over the initial address pair, each from its own source
 * port, so that ECMP in the network may spread them over different paths. It announces
 * nothing and follows no announcement. */
#include "mptcp/mptcp_conn.h"
#include "pm/pm.h"

static void ndiffports_join_ready(struct mptcp_pm *pm, uint64_t now)
{
    struct mptcp_conn *mc = pm->mc;
    if (!mc->initiator)
        return;
    struct pm_local_addr local = {
        .addr = mptcp_pm_initial_local(pm),
        .ifindex = mc->sub[0]->sk->ifindex,
        .id = 0, /* 3.2: the initial subflow's address has ID 0 */
    };
    umptcp_sockaddr remote = mptcp_pm_initial_remote(pm);
    if (!mptcp_pm_remote_joinable(pm, &remote))
        return;
    for (unsigned i = 0; i < MPTCP_PM_NDIFFPORTS; i++) {
        if (mptcp_pm_count_pair(pm, &local.addr, &remote) >= MPTCP_PM_NDIFFPORTS ||
            !mptcp_pm_can_open(pm))
            return;
        if (pm->host->open_subflow(pm->ctx, &local, &remote, now) != UMPTCP_OK)
            return;
    }
}

const struct mptcp_pm_ops mptcp_pm_ndiffports_ops = {
    .name = "ndiffports",
    .join_ready = ndiffports_join_ready,
};
