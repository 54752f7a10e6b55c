/* umptcp: Multipath TCP (RFC 8684) in userspace. Umbrella header of the public API. */
#ifndef UMPTCP_UMPTCP_H
#define UMPTCP_UMPTCP_H

#include "umptcp/addr.h"
#include "umptcp/conn.h"
#include "umptcp/error.h"
#include "umptcp/mptcp.h"
#include "umptcp/pm.h"
#include "umptcp/stack.h"
#include "umptcp/version.h"

#endif
