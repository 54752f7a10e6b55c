/* Whether a congestion control, scheduler or path manager name is one the stack has: one
 * check shared by scenario files and `umptcp cat --cc/--sched/--pm`. */
#ifndef UMPTCP_TOOLS_SCENARIO_OPS_H
#define UMPTCP_TOOLS_SCENARIO_OPS_H

#include <stdbool.h>
#include <stddef.h>

enum scn_ops_kind { SCN_OPS_CC, SCN_OPS_SCHED, SCN_OPS_PM };

/* True when a fresh stack's registry of that kind has `name` (also when the registry cannot
 * be built: the stack then reports the problem itself). When false and list is not NULL, the
 * known names, separated by ", ", are written into list. */
bool scn_ops_name_known(enum scn_ops_kind kind, const char *name, char *list, size_t listlen);
/* "congestion control", "scheduler" or "path manager". */
const char *scn_ops_kind_name(enum scn_ops_kind kind);

#endif
