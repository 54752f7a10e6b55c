/* The deterministic network simulator (internal API, prefix sim_): include this one header. */
#ifndef UMPTCP_SIM_SIM_H
#define UMPTCP_SIM_SIM_H

#include "sim/sim_event.h"
#include "sim/sim_ip.h"
#include "sim/sim_link.h"
#include "sim/sim_node.h"
#include "sim/sim_rng.h"
#include "sim/sim_router.h"
#include "sim/sim_world.h"

#endif
