/* Simulation scenarios (prefix scn_): what `umptcp sim` runs, as data.
 *
 * A scenario is a network of hosts (each a real umptcp stack) and routers joined by links,
 * flows between hosts, and timed events, described in a small INI text format
 * (docs/SCENARIOS.md; parsed with libinih, scenario_parse.c). Presets are scenario texts built
 * into the tool (scenario_preset.c), parsed by the same parser.
 *
 * Everything here is plain data with fixed bounds (SCN_MAX_*), so a scenario's memory is
 * known before it is read and no input can make it grow. Names are unique per kind (a node
 * and a link may share a name). Indexes refer into the arrays of the same scenario. */
#ifndef UMPTCP_TOOLS_SCENARIO_H
#define UMPTCP_TOOLS_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sim/sim_link.h"
#include "umptcp/addr.h"

#define SCN_NAME_MAX 32 /* names of nodes, links and flows, NUL included */
#define SCN_OPS_NAME_MAX 16
#define SCN_TEXT_MAX 256
#define SCN_MAX_NODES 32
#define SCN_MAX_IFACES 8      /* per host: one per `address` line */
#define SCN_MAX_IFACE_ADDRS 2 /* per host interface: e.g. one IPv4 and one IPv6 */
#define SCN_MAX_LINKS 64
#define SCN_MAX_FLOWS 16
#define SCN_MAX_EVENTS 256
#define SCN_MAX_DURATION_NS (24ull * 3600ull * 1000000000ull)

enum scn_node_kind { SCN_NODE_HOST, SCN_NODE_ROUTER };

/* A host interface: its addresses (the first one names it) and whether the host's stack
 * marks it as a backup path (umptcp_stack_set_backup, RFC 8684 3.3.8). */
struct scn_iface {
    umptcp_addr addr[SCN_MAX_IFACE_ADDRS];
    bool late[SCN_MAX_IFACE_ADDRS]; /* absent until an add-address event (set by validation:
                                       the address's first add/remove event is an add) */
    size_t naddr;
    bool backup;
    int line;
};

struct scn_node {
    char name[SCN_NAME_MAX];
    enum scn_node_kind kind;
    struct scn_iface iface[SCN_MAX_IFACES]; /* hosts only, in the order of the file */
    size_t niface;
    int line; /* of its section header */
};

/* What a middlebox on one direction of a link does to the packets leaving it. */
enum scn_middlebox {
    SCN_MB_NONE = 0,
    SCN_MB_STRIP_MPTCP,      /* removes every MPTCP option (kind 30) from every segment */
    SCN_MB_STRIP_MPTCP_DATA, /* removes MPTCP options from segments that carry payload */
    SCN_MB_REWRITE_PAYLOAD,  /* changes a few payload bytes of some data segments, fixing the
                                TCP checksum (an application-level gateway) */
    SCN_MB_DROP_ADD_ADDR,    /* drops every segment carrying an ADD_ADDR announcement */
    SCN_MB_NAT,              /* both directions of a link: end a is inside a NAT whose public
                                address is scn_link.nat_addr (source NAT with port mapping) */
};

/* One direction of a link: the simulator's link model (sim_link.h) and a middlebox. */
struct scn_dir {
    struct sim_link_config cfg;
    enum scn_middlebox middlebox;
};

/* A two-way link between end a and end b: two one-way simulator links. A host end is one of
 * the host's interfaces; a router end is a new interface of the router. */
struct scn_link {
    char name[SCN_NAME_MAX];
    size_t node[2];        /* [0] end a, [1] end b */
    int iface[2];          /* host ends: index into the host's iface[]; router ends: -1 */
    struct scn_dir dir[2]; /* [0] a -> b, [1] b -> a */
    umptcp_addr nat_addr;  /* SCN_MB_NAT: the NAT's public address (routed toward end a) */
    int line;
};

enum scn_flow_dir {
    SCN_FLOW_UPLOAD,   /* the client sends, the server receives */
    SCN_FLOW_DOWNLOAD, /* the server sends */
    SCN_FLOW_BOTH,     /* both send at once */
};

/* One connection: `client` connects from `source` to `server_addr`:`port` of host `server`. */
struct scn_flow {
    char name[SCN_NAME_MAX];
    size_t client, server;   /* host node indexes (different hosts) */
    umptcp_addr source;      /* an address of the client: the initial subflow's */
    umptcp_addr server_addr; /* an address of the server */
    uint16_t port;           /* unique per server host */
    bool mptcp;              /* MPTCP (RFC 8684) or plain TCP */
    bool checksum;           /* ask for DSS checksums */
    enum scn_flow_dir dir;
    uint64_t bytes;               /* per sending direction; 0: send until the scenario ends */
    uint64_t start_ns;            /* when the client connects */
    char cc[SCN_OPS_NAME_MAX];    /* "" = the stack's default */
    char sched[SCN_OPS_NAME_MAX]; /* "" = default */
    char pm[SCN_OPS_NAME_MAX];    /* "" = default */
    unsigned max_subflows;        /* 0 = default */
    int line;
};

enum scn_event_kind {
    SCN_EV_LINK_DOWN, /* link directions go down: what is queued or flying is lost */
    SCN_EV_LINK_UP,
    SCN_EV_RATE,        /* value: bits/s (0 = unlimited) */
    SCN_EV_DELAY,       /* value: ns */
    SCN_EV_LOSS,        /* p: probability */
    SCN_EV_QUEUE,       /* value: bytes */
    SCN_EV_REMOVE_ADDR, /* the host owning addr removes it (umptcp_stack_remove_address) */
    SCN_EV_ADD_ADDR,    /* it gets it (back): umptcp_stack_add_address on its interface */
    SCN_EV_BACKUP,      /* the host owning addr marks it backup (on) or not (MP_PRIO) */
};

#define SCN_DIR_AB 1u
#define SCN_DIR_BA 2u

/* An event about a host's address (node, iface, addr) rather than a link. */
static inline bool scn_event_is_address(enum scn_event_kind k)
{
    return k == SCN_EV_REMOVE_ADDR || k == SCN_EV_ADD_ADDR || k == SCN_EV_BACKUP;
}

struct scn_event {
    uint64_t at_ns;
    enum scn_event_kind kind;
    size_t link;      /* link events */
    unsigned dirmask; /* link events: SCN_DIR_AB | SCN_DIR_BA */
    uint64_t value;
    double p;
    size_t node;      /* address events: the host */
    size_t iface;     /* address events: the host's interface with addr */
    umptcp_addr addr; /* address events */
    bool on;          /* SCN_EV_BACKUP */
    int line;
};

struct scn_scenario {
    char name[SCN_NAME_MAX];
    char description[SCN_TEXT_MAX];
    char source[SCN_TEXT_MAX]; /* file name or "preset NAME", for messages */
    uint64_t duration_ns;      /* simulated time; a run ends earlier when every flow is done */
    uint64_t seed;
    bool baseline; /* also run each MPTCP flow as plain TCP on each of its client's paths */
    struct scn_node node[SCN_MAX_NODES];
    size_t nnode;
    struct scn_link link[SCN_MAX_LINKS];
    size_t nlink;
    struct scn_flow flow[SCN_MAX_FLOWS];
    size_t nflow;
    struct scn_event event[SCN_MAX_EVENTS]; /* sorted by time, file order among equals */
    size_t nevent;
};

/* ---- reading ------------------------------------------------------------------------- */

/* Parses a scenario file into *out (which the call initialises). On error returns a negative
 * UMPTCP_ERR_* and writes one line to err: "FILE:LINE: what was wrong, and what was expected"
 * (LINE omitted when the problem is not on one line, e.g. a missing section). */
int scn_parse_file(const char *path, struct scn_scenario *out, char *err, size_t errlen);
/* The same for a text in memory; `origin` names it in messages (a file name or "preset X"). */
int scn_parse_text(const char *text, const char *origin, struct scn_scenario *out, char *err,
                   size_t errlen);

/* Built-in scenarios. NULL-terminated list of names; the text of one (NULL if unknown). */
const char *const *scn_preset_names(void);
const char *scn_preset_text(const char *name);
/* One line saying what the preset shows (NULL if unknown). */
const char *scn_preset_summary(const char *name);
/* scn_parse_text of the preset; UMPTCP_ERR_NOTFOUND (with a message listing the presets)
 * when there is none of that name. */
int scn_load_preset(const char *name, struct scn_scenario *out, char *err, size_t errlen);

/* ---- looking things up ----------------------------------------------------------------- */

/* Index of the node / link / flow of that name, or -1. */
int scn_find_node(const struct scn_scenario *s, const char *name);
int scn_find_link(const struct scn_scenario *s, const char *name);
/* The host and interface owning addr; false when no host has it. */
bool scn_find_addr(const struct scn_scenario *s, const umptcp_addr *addr, size_t *node,
                   size_t *iface);
/* The link attached to interface `iface` of host `node`, or -1. */
int scn_iface_link(const struct scn_scenario *s, size_t node, size_t iface);

#endif
