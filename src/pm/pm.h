/* Path managers (RFC 8684 3.4, RFC 8041): which subflows a connection opens and which of our
 * addresses it announces. A named ops table per path manager in a per-stack registry (the
 * shared src/util/ops_registry.h), chosen by name per connection ("fullmesh", the default, or
 * "ndiffports"), as the schedulers and congestion controls are.
 *
 * A path manager never writes options and never touches sockets: it asks the connection's host
 * (the stack, through struct mptcp_pm_host) to open a subflow, and the MPTCP connection to queue
 * signals (mptcp_conn_announce); the option writer sends them when room allows. The mechanics
 * every path manager shares (REMOVE_ADDR when an address goes away, closing the subflows the
 * peer's REMOVE_ADDR names) live in src/mptcp, not here.
 *
 * Sans-IO, no allocation, no globals: per-connection state lives in struct mptcp_pm. */
#ifndef UMPTCP_PM_PM_H
#define UMPTCP_PM_PM_H

#include "umptcp/addr.h"
#include "util/ops_registry.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MPTCP_PM_NAME_MAX 15 /* without the NUL; names are [a-z0-9_-]+ */
#define MPTCP_PM_DEFAULT_NAME "fullmesh"
#define MPTCP_PM_PRIV_WORDS 4
#define MPTCP_PM_PRIV_MAX (MPTCP_PM_PRIV_WORDS * sizeof(uint64_t))
/* ndiffports: subflows over the initial address pair, the first one included. */
#define MPTCP_PM_NDIFFPORTS 2

struct mptcp_conn;
struct mptcp_subflow;
struct mptcp_remote_addr;

/* One of the host's addresses, with its stable address ID (RFC 8684 3.2: unique per address
 * within the connection; the stack keeps one per address for its lifetime). */
struct pm_local_addr {
    umptcp_addr addr;
    int ifindex;
    uint8_t id;
    bool backup; /* subflows from it are opened with B=1 (3.3.8) */
};

/* What the host (the stack's connection) lends its path manager. */
struct mptcp_pm_host {
    /* The host's local addresses, at most max of them; returns how many were written. */
    size_t (*local_addrs)(void *ctx, struct pm_local_addr *out, size_t max);
    /* Opens an MP_JOIN subflow from local (a fresh ephemeral port) to remote. */
    int (*open_subflow)(void *ctx, const struct pm_local_addr *local, const umptcp_sockaddr *remote,
                        uint64_t now);
};

/* One connection's path manager instance. */
struct mptcp_pm {
    const struct mptcp_pm_ops *ops;
    const struct mptcp_pm_host *host;
    void *ctx; /* the host's connection */
    struct mptcp_conn *mc;
    uint64_t priv[MPTCP_PM_PRIV_WORDS];
};

/* Every hook is optional. */
struct mptcp_pm_ops {
    const char *name; /* first member: the registry reads it (ops_registry.h) */
    size_t priv_size; /* bytes of pm->priv used, <= MPTCP_PM_PRIV_MAX */
    void (*init)(struct mptcp_pm *pm);
    /* The connection is established (MPTCP, both roles). */
    void (*established)(struct mptcp_pm *pm, uint64_t now);
    /* The peer has our key (a DSS arrived, 3.1): the initiator may open subflows. */
    void (*join_ready)(struct mptcp_pm *pm, uint64_t now);
    /* The peer announced an address (ADD_ADDR with a valid HMAC, 3.4.1). */
    void (*addr_announced)(struct mptcp_pm *pm, const struct mptcp_remote_addr *r, uint64_t now);
    /* The peer removed an address (REMOVE_ADDR, 3.4.2); its subflows are closed already. */
    void (*addr_removed)(struct mptcp_pm *pm, uint8_t id, uint64_t now);
    /* The host gained or lost a local address (REMOVE_ADDR was queued already when lost). */
    void (*local_addr_added)(struct mptcp_pm *pm, const struct pm_local_addr *a, uint64_t now);
    void (*local_addr_removed)(struct mptcp_pm *pm, const struct pm_local_addr *a, uint64_t now);
    /* A subflow closed (reset, failed or finished). */
    void (*subflow_closed)(struct mptcp_pm *pm, struct mptcp_subflow *sf, uint64_t now);
};

extern const struct mptcp_pm_ops mptcp_pm_fullmesh_ops;   /* "fullmesh" */
extern const struct mptcp_pm_ops mptcp_pm_ndiffports_ops; /* "ndiffports" */

/* Zeroes pm, binds it, calls ops->init. UMPTCP_ERR_INVAL for NULL or an invalid table. */
int mptcp_pm_init(struct mptcp_pm *pm, const struct mptcp_pm_ops *ops,
                  const struct mptcp_pm_host *host, void *ctx, struct mptcp_conn *mc);

/* Dispatch (no-ops when pm or the hook is NULL). */
void mptcp_pm_established(struct mptcp_pm *pm, uint64_t now);
void mptcp_pm_join_ready(struct mptcp_pm *pm, uint64_t now);
void mptcp_pm_addr_announced(struct mptcp_pm *pm, const struct mptcp_remote_addr *r, uint64_t now);
void mptcp_pm_addr_removed(struct mptcp_pm *pm, uint8_t id, uint64_t now);
void mptcp_pm_local_addr_added(struct mptcp_pm *pm, const struct pm_local_addr *a, uint64_t now);
void mptcp_pm_local_addr_removed(struct mptcp_pm *pm, const struct pm_local_addr *a, uint64_t now);
void mptcp_pm_subflow_closed(struct mptcp_pm *pm, struct mptcp_subflow *sf, uint64_t now);

/* ---- helpers for path managers --------------------------------------------------------- */

/* Subflows (open or opening) between local and remote. */
unsigned mptcp_pm_count_pair(const struct mptcp_pm *pm, const umptcp_addr *local,
                             const umptcp_sockaddr *remote);
/* The remote end of the initial subflow. */
umptcp_sockaddr mptcp_pm_initial_remote(const struct mptcp_pm *pm);
/* The local address of the initial subflow. */
umptcp_addr mptcp_pm_initial_local(const struct mptcp_pm *pm);
/* Room for one more subflow (the connection's limit). */
bool mptcp_pm_can_open(const struct mptcp_pm *pm);
/* May a subflow be opened to remote? Not to the peer's initial address and port when its
 * MP_CAPABLE carried flag C (RFC 8684 3.1). */
bool mptcp_pm_remote_joinable(const struct mptcp_pm *pm, const umptcp_sockaddr *remote);

/* ---- registry ----------------------------------------------------------------------------- */

struct mptcp_pm_registry {
    struct ops_registry r;
};

/* Empties reg and adds the built-ins ("fullmesh", "ndiffports"). */
int mptcp_pm_registry_init(struct mptcp_pm_registry *reg);
/* UMPTCP_ERR_INVAL: NULL, bad name, priv_size too big. UMPTCP_ERR_EXISTS, UMPTCP_ERR_NOMEM as
 * ops_registry_add. */
int mptcp_pm_registry_add(struct mptcp_pm_registry *reg, const struct mptcp_pm_ops *ops);
const struct mptcp_pm_ops *mptcp_pm_registry_find(const struct mptcp_pm_registry *reg,
                                                  const char *name);
size_t mptcp_pm_registry_count(const struct mptcp_pm_registry *reg);
const char *mptcp_pm_registry_name_at(const struct mptcp_pm_registry *reg, size_t i);
int mptcp_pm_registry_list(const struct mptcp_pm_registry *reg, char *buf, size_t len);
int mptcp_pm_ops_validate(const struct mptcp_pm_ops *ops);

#endif
