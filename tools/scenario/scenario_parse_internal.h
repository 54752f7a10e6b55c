/* The scenario parser's own state, shared by its files (scenario_parse*.c,
 * scenario_validate.c): what the model does not keep but messages and cross references need,
 * such as the text of link ends and the line of every key. */
#ifndef UMPTCP_TOOLS_SCENARIO_PARSE_INTERNAL_H
#define UMPTCP_TOOLS_SCENARIO_PARSE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "scenario/scenario.h"

#define SCN_LINE_MAX 199             /* characters; libinih's line buffer holds 200 with NUL */
#define SCN_FILE_MAX (1024u * 1024u) /* bytes */
#define SCN_MSG_MAX 384
#define SCN_END_MAX 64 /* the text of a link end or a flow's server: an address or a name */
#define SCN_SECTION_KEYS_MAX 32
#define SCN_DEFAULT_DURATION_NS (30ull * 1000000000ull)
#define SCN_DEFAULT_REORDER_DELAY_NS (5ull * 1000000ull)
#define SCN_DEFAULT_PORT 5201u

enum scn_sec {
    SCN_SEC_NONE,
    SCN_SEC_SCENARIO,
    SCN_SEC_HOST,
    SCN_SEC_ROUTER,
    SCN_SEC_LINK,
    SCN_SEC_FLOW,
    SCN_SEC_EVENTS,
};

/* The per-direction keys of a link, in the order of the key table in scenario_parse_link.c. */
enum scn_lkey {
    SCN_LK_RATE,
    SCN_LK_DELAY,
    SCN_LK_QUEUE,
    SCN_LK_LOSS,
    SCN_LK_REORDER,
    SCN_LK_DUPLICATE,
    SCN_LK_REORDER_DELAY,
    SCN_LK_MIDDLEBOX,
    SCN_LK_COUNT,
};

struct scn_plink {
    char end[2][SCN_END_MAX];      /* as written; resolved by validation */
    int end_line[2];               /* 0: not given */
    uint8_t prio[SCN_LK_COUNT][2]; /* per direction: 0 default, 1 from KEY, 2 from KEY.ab/.ba */
    int line[SCN_LK_COUNT][2];     /* the line that set the direction's value */
    bool queue_time[2];            /* the queue was given as a time: queue_ns[dir] */
    uint64_t queue_ns[2];
    int nat_line; /* nat_address: its line, 0 when not given */
};

struct scn_pflow {
    char client[SCN_NAME_MAX];
    char server[SCN_END_MAX];
    int client_line, server_line, source_line, port_line, start_line; /* 0: not given */
};

struct scn_pbackup {
    umptcp_addr addr;
    int line;
};

struct scn_pstate {
    struct scn_scenario *s;
    const char *origin;
    /* the text and the reader's position in it */
    const char *buf;
    size_t len, pos;
    int lineno;
    /* the first error */
    bool failed;
    int errline; /* 0: the message is not about one line */
    char msg[SCN_MSG_MAX];
    /* the current section */
    enum scn_sec sec;
    size_t cur;                                /* its node, link or flow */
    char ctx[64];                              /* how messages name it: "link 'wifi'", "[events]" */
    int keyline[SCN_SECTION_KEYS_MAX];         /* single-valued keys seen in it: their line */
    struct scn_pbackup backup[SCN_MAX_IFACES]; /* backup keys of the current host */
    size_t nbackup;
    int scenario_line, events_line, duration_line;
    struct scn_plink link[SCN_MAX_LINKS];
    struct scn_pflow flow[SCN_MAX_FLOWS];
    char event_link[SCN_MAX_EVENTS][SCN_NAME_MAX]; /* link events: the link's name */
};

/* Records the first error (later ones are ignored) and returns 0, the libinih handler's
 * "failed". line 0: not about one line. */
int scn_fail(struct scn_pstate *st, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* "CTX: KEY 'VALUE': WHY" at the current line. */
int scn_fail_value(struct scn_pstate *st, const char *key, const char *value, const char *why);

/* Records that the current section has key number k (< SCN_SECTION_KEYS_MAX); fails on a
 * second time. */
bool scn_key_once(struct scn_pstate *st, size_t k, const char *key);

/* Per-section key handlers (libinih handler convention: nonzero = success). */
int scn_scenario_key(struct scn_pstate *st, const char *key, const char *value);
int scn_host_key(struct scn_pstate *st, const char *key, const char *value);
int scn_link_key(struct scn_pstate *st, const char *key, const char *value);
int scn_flow_key(struct scn_pstate *st, const char *key, const char *value);
int scn_event_key(struct scn_pstate *st, const char *key, const char *value);
void scn_link_defaults(struct scn_link *l);
/* At the end of a host's section: it has an address, and its backups name its own. */
bool scn_host_end(struct scn_pstate *st);
void scn_flow_defaults(struct scn_flow *f);

/* Cross references, defaults that depend on other sections, event order (after the whole
 * text was read). */
bool scn_validate(struct scn_pstate *st);
/* After the events are sorted: each address's presence over time (remove-address only what is
 * there, add-address only what is not, backup only what is there), which addresses start
 * absent (scn_iface.late), and every flow's source and server address there at its start. */
bool scn_validate_addr_events(struct scn_pstate *st);

/* The address text into *out; false (and a message in why) when it is not one address. */
bool scn_addr_value(const char *text, umptcp_addr *out, char *why, size_t whylen);
/* The textual form of a into buf. */
const char *scn_addr_str(const umptcp_addr *a, char *buf, size_t len);

#endif
