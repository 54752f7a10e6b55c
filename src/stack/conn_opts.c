/* The MPTCP choices of umptcp_conn_opts: the path manager (conn_pm_find, conn_mptcp.c) and the
 * scheduler by name from the stack's registries, checked when the application connects or
 * listens; the scheduler given to each new MPTCP connection. */
#include "stack/conn_opts.h"
#include "stack/stack_internal.h"

#include "mptcp/mptcp_conn.h"

_Static_assert(UMPTCP_MPTCP_MAX_SUBFLOWS == MPTCP_MAX_SUBFLOWS, "public and internal limits");

bool stack_conn_opts_known(const umptcp_stack *s, const umptcp_conn_opts *opts)
{
    if (opts == NULL || !opts->mptcp)
        return true;
    return conn_pm_find(s, opts) != NULL &&
           (opts->sched == NULL || mptcp_sched_registry_find(&s->sched, opts->sched) != NULL);
}

void stack_conn_sched_apply(const umptcp_stack *s, struct mptcp_conn *mc,
                            const umptcp_conn_opts *opts)
{
    const struct mptcp_sched_ops *ops = mptcp_sched_registry_find(&s->sched, opts->sched);
    if (ops != NULL)
        mptcp_conn_set_sched(mc, ops);
}
