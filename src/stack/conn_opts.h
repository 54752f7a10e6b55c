/* The MPTCP choices of umptcp_conn_opts besides the path manager and the subflow limit
 * (conn_mptcp.c): the scheduler (conn_opts.c). */
#ifndef UMPTCP_STACK_CONN_OPTS_H
#define UMPTCP_STACK_CONN_OPTS_H

#include <stdbool.h>

#include "umptcp/conn.h"

struct mptcp_conn;

/* False when opts asks for MPTCP with a path manager or scheduler the stack does not have
 * (connect and listen then fail with UMPTCP_ERR_INVAL). */
bool stack_conn_opts_known(const umptcp_stack *s, const umptcp_conn_opts *opts);
/* Gives a new MPTCP connection the scheduler opts names (none: it keeps the default). */
void stack_conn_sched_apply(const umptcp_stack *s, struct mptcp_conn *mc,
                            const umptcp_conn_opts *opts);

#endif
