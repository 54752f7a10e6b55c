/* Maps errno values of system calls to umptcp's UMPTCP_ERR_* codes (host runtime only). */
#ifndef UMPTCP_HOST_SYSERR_H
#define UMPTCP_HOST_SYSERR_H

/* e is a positive errno value; returns a negative UMPTCP_ERR_* code (UMPTCP_ERR_IO when no
 * closer code exists). */
int host_err_from_errno(int e);

#endif
