/* umptcp cat: the pieces of the command shared by its files (cmd_cat*.c). */
#ifndef UMPTCP_TOOL_CMD_CAT_H
#define UMPTCP_TOOL_CMD_CAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "umptcp/addr.h"
#include "umptcp/conn.h"
#include "umptcp/stack.h"

/* Exit statuses. */
#define CAT_EXIT_OK 0
#define CAT_EXIT_FAIL 1  /* the connection or the system failed: reset, timeout, no TUN... */
#define CAT_EXIT_USAGE 2 /* bad arguments */

/* Longest interface name (IFNAMSIZ - 1). */
#define CAT_DEV_NAME_MAX 15

struct cat_tun {
    char dev[CAT_DEV_NAME_MAX + 1];
    umptcp_addr addr;
    bool backup; /* --backup DEV: its subflows are backup subflows */
};

/* --max-subflows: the default, and the most a connection can have. */
#define CAT_DEFAULT_SUBFLOWS UMPTCP_MPTCP_MAX_SUBFLOWS

struct cat_opts {
    bool listen;                 /* -l: server */
    bool mptcp;                  /* true unless --no-mptcp */
    bool quiet;                  /* -q */
    int verbose;                 /* -v, repeatable */
    bool nodelay;                /* --nodelay */
    uint64_t connect_timeout_ms; /* --connect-timeout, 0 = none */
    const char *cc;              /* --cc NAME, NULL = the stack's default */
    const char *pcap;            /* --pcap FILE */
    const char *stats;           /* --stats FILE */
    double loss_in;  /* --loss / --loss-in: drop probability of packets from the kernel */
    double loss_out; /* --loss / --loss-out: drop probability of packets to the kernel */
    bool seeded;     /* --seed given */
    uint64_t seed;
    uint16_t mss; /* --mss, 0 = from the MTU */
    int mtu;      /* --mtu, 0 = leave the devices' MTU */
    struct cat_tun tuns[UMPTCP_MAX_INTERFACES];
    size_t ntuns;
    /* MPTCP (none of these with --no-mptcp) */
    bool checksum;                             /* --checksum: ask for DSS checksums */
    unsigned max_subflows;                     /* --max-subflows N [CAT_DEFAULT_SUBFLOWS] */
    const char *sched;                         /* --sched NAME, NULL = the stack's default */
    const char *pm;                            /* --pm NAME, NULL = the stack's default */
    const char *backup[UMPTCP_MAX_INTERFACES]; /* --backup DEV, each one of the --tun devices */
    size_t nbackup;
    const char *mptcp_only_opt; /* the last MPTCP option given (an error with --no-mptcp) */
    const char *host;           /* client: HOST as given */
    uint16_t port;              /* client: remote port; server: the port to listen on */
};

/* Parses the command line (argv[0] is "cat"). Returns CAT_EXIT_OK with *help false when o is
 * ready, CAT_EXIT_OK with *help true after printing the help to stdout, or CAT_EXIT_USAGE
 * after printing a one-line message to stderr. */
int cat_parse_args(int argc, char **argv, struct cat_opts *o, bool *help);

/* Runs the command with parsed options; returns the exit status. */
int cat_run(const struct cat_opts *o);

#endif
