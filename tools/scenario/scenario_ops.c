/* Names of congestion controls, schedulers and path managers, checked against the registries
 * a stack starts with. */
#include "scenario/scenario_ops.h"

#include "cc/cc.h"
#include "mptcp/mptcp_sched.h"
#include "pm/pm.h"
#include "umptcp/error.h"

static void scn_ops_list_none(char *list, size_t listlen)
{
    if (list != NULL && listlen > 0)
        list[0] = '\0';
}

static bool scn_cc_known(const char *name, char *list, size_t listlen)
{
    struct cc_registry reg;
    if (cc_registry_init(&reg) != UMPTCP_OK || cc_registry_find(&reg, name) != NULL)
        return true;
    if (list != NULL && listlen > 0)
        cc_registry_list(&reg, list, listlen);
    return false;
}

static bool scn_sched_known(const char *name, char *list, size_t listlen)
{
    struct mptcp_sched_registry reg;
    if (mptcp_sched_registry_init(&reg) != UMPTCP_OK ||
        mptcp_sched_registry_find(&reg, name) != NULL)
        return true;
    if (list != NULL && listlen > 0)
        mptcp_sched_registry_list(&reg, list, listlen);
    return false;
}

static bool scn_pm_known(const char *name, char *list, size_t listlen)
{
    struct mptcp_pm_registry reg;
    if (mptcp_pm_registry_init(&reg) != UMPTCP_OK || mptcp_pm_registry_find(&reg, name) != NULL)
        return true;
    if (list != NULL && listlen > 0)
        mptcp_pm_registry_list(&reg, list, listlen);
    return false;
}

bool scn_ops_name_known(enum scn_ops_kind kind, const char *name, char *list, size_t listlen)
{
    scn_ops_list_none(list, listlen);
    switch (kind) {
    case SCN_OPS_CC:
        return scn_cc_known(name, list, listlen);
    case SCN_OPS_SCHED:
        return scn_sched_known(name, list, listlen);
    case SCN_OPS_PM:
        return scn_pm_known(name, list, listlen);
    }
    return false;
}

const char *scn_ops_kind_name(enum scn_ops_kind kind)
{
    switch (kind) {
    case SCN_OPS_CC:
        return "congestion control";
    case SCN_OPS_SCHED:
        return "scheduler";
    case SCN_OPS_PM:
        return "path manager";
    }
    return "?";
}
