/* umptcp cat: the command line. Every error is one line on stderr and exit status 2. */
#include "cmd_cat.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "umptcp/error.h"

enum cat_long_opt {
    CAT_OPT_TUN = 256,
    CAT_OPT_NO_MPTCP,
    CAT_OPT_CC,
    CAT_OPT_PCAP,
    CAT_OPT_STATS,
    CAT_OPT_LOSS,
    CAT_OPT_LOSS_IN,
    CAT_OPT_LOSS_OUT,
    CAT_OPT_SEED,
    CAT_OPT_MSS,
    CAT_OPT_MTU,
    CAT_OPT_NODELAY,
    CAT_OPT_CONNECT_TIMEOUT,
    CAT_OPT_CHECKSUM,
    CAT_OPT_MAX_SUBFLOWS,
    CAT_OPT_BACKUP,
    CAT_OPT_PM,
    CAT_OPT_SCHED,
};

static const struct option cat_long_opts[] = {
    {"listen", no_argument, NULL, 'l'},
    {"quiet", no_argument, NULL, 'q'},
    {"verbose", no_argument, NULL, 'v'},
    {"help", no_argument, NULL, 'h'},
    {"tun", required_argument, NULL, CAT_OPT_TUN},
    {"no-mptcp", no_argument, NULL, CAT_OPT_NO_MPTCP},
    {"cc", required_argument, NULL, CAT_OPT_CC},
    {"pcap", required_argument, NULL, CAT_OPT_PCAP},
    {"stats", required_argument, NULL, CAT_OPT_STATS},
    {"loss", required_argument, NULL, CAT_OPT_LOSS},
    {"loss-in", required_argument, NULL, CAT_OPT_LOSS_IN},
    {"loss-out", required_argument, NULL, CAT_OPT_LOSS_OUT},
    {"seed", required_argument, NULL, CAT_OPT_SEED},
    {"mss", required_argument, NULL, CAT_OPT_MSS},
    {"mtu", required_argument, NULL, CAT_OPT_MTU},
    {"nodelay", no_argument, NULL, CAT_OPT_NODELAY},
    {"connect-timeout", required_argument, NULL, CAT_OPT_CONNECT_TIMEOUT},
    {"checksum", no_argument, NULL, CAT_OPT_CHECKSUM},
    {"max-subflows", required_argument, NULL, CAT_OPT_MAX_SUBFLOWS},
    {"backup", required_argument, NULL, CAT_OPT_BACKUP},
    {"pm", required_argument, NULL, CAT_OPT_PM},
    {"sched", required_argument, NULL, CAT_OPT_SCHED},
    {NULL, 0, NULL, 0},
};

static void cat_usage(FILE *out)
{
    fprintf(out,
            "usage: umptcp cat [OPTIONS] HOST PORT      connect to HOST:PORT\n"
            "       umptcp cat -l [OPTIONS] PORT        listen on PORT, accept one connection\n"
            "\n"
            "Copies standard input to a Multipath TCP (RFC 8684) connection of a userspace\n"
            "umptcp stack and the connection to standard output. At the end of standard input\n"
            "the sending direction is shut down (DATA_FIN, or FIN for plain TCP); the command\n"
            "exits 0 once both directions ended cleanly, and non-zero with a one-line message\n"
            "on reset, timeout or any error. A peer without MPTCP gets plain TCP (fallback).\n"
            "\n"
            "The stack reaches the network through TUN devices. The kernel side of each device\n"
            "needs an address in the same subnet (and routes onward); that is the caller's\n"
            "business, e.g. 'ip addr add 10.0.0.1/24 dev tun0' once the device exists.\n"
            "\n"
            "options:\n"
            "  --tun DEV=ADDR   attach to TUN device DEV (opened, or created when missing) with\n"
            "                   the local address ADDR (IPv4 or IPv6). Repeatable: one per\n"
            "                   interface/path; the first carries the initial subflow. A client\n"
            "                   opens subflows from every --tun address to every address it\n"
            "                   knows of the server; a server announces its other addresses\n"
            "  -l, --listen     server: listen on PORT on every local address, accept one\n"
            "                   connection, exit when it ends\n"
            "  --no-mptcp       plain TCP instead of MPTCP\n"
            "  --checksum       ask for DSS checksums (RFC 8684 3.3.1)\n"
            "  --max-subflows N at most N subflows, the initial one included (1..%d, default\n"
            "                   %d)\n"
            "  --backup DEV     subflows over --tun device DEV are backup subflows (MP_JOIN\n"
            "                   with B=1): data goes there only when no other subflow works.\n"
            "                   Repeatable\n"
            "  --pm NAME        path manager (fullmesh, ndiffports)\n"
            "  --sched NAME     packet scheduler (minrtt, rr)\n"
            "  --cc NAME        congestion control (reno, cubic, ...)\n"
            "  --nodelay        disable Nagle's algorithm\n"
            "  --connect-timeout SECS\n"
            "                   give up when the connection is not established within SECS\n"
            "                   (client: handshake; server: first connection)\n"
            "  --mss BYTES      MSS to advertise (default: from the MTU)\n"
            "  --mtu BYTES      set the TUN devices' MTU and derive the MSS from it\n"
            "  --pcap FILE      write every packet sent and received, all interfaces, to FILE\n"
            "  --stats FILE     at exit write JSON statistics per connection and subflow\n"
            "  -q, --quiet      no progress output (shown each second when stderr is a terminal)\n"
            "  -v, --verbose    say what happens (connection established, summary at exit)\n"
            "  -h, --help       this help\n"
            "\n"
            "testing aids:\n"
            "  --loss P         drop each packet with probability P in both directions (0..1,\n"
            "                   or a percentage such as 1%%); applied by the TUN host runtime\n"
            "  --loss-in P      ... only packets from the kernel to the stack\n"
            "  --loss-out P     ... only packets from the stack to the kernel\n"
            "  --seed N         seed of the stack's randomness and of the injected loss\n"
            "                   (default: getrandom)\n"
            "\n"
            "exit status: 0 success, 1 connection or system error, 2 usage error, 128+N ended\n"
            "by signal N (SIGINT, SIGTERM, SIGHUP; the connection is reset)\n",
            CAT_DEFAULT_SUBFLOWS, CAT_DEFAULT_SUBFLOWS);
}

static int cat_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int cat_usage_error(const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    fprintf(stderr, "umptcp cat: %s (try 'umptcp cat --help')\n", msg);
    return CAT_EXIT_USAGE;
}

static bool cat_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return false;
    *out = v;
    return true;
}

static int cat_parse_port(const char *s, uint16_t *out)
{
    uint64_t v;
    if (!cat_parse_uint(s, 65535, &v) || v == 0)
        return cat_usage_error("bad port '%s' (expected 1..65535)", s);
    *out = (uint16_t)v;
    return CAT_EXIT_OK;
}

/* "0.01" or "1%". */
static int cat_parse_prob(const char *opt, const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    bool ok = end != s && errno == 0 && !isnan(v);
    if (ok && *end == '%') {
        v /= 100.0;
        end++;
    }
    if (!ok || *end != '\0' || v < 0.0 || v > 1.0)
        return cat_usage_error("bad probability '%s' for --%s (expected 0..1 or 0%%..100%%)", s,
                               opt);
    *out = v;
    return CAT_EXIT_OK;
}

static bool cat_dev_name_ok(const char *dev, size_t len)
{
    if (len == 0 || len > CAT_DEV_NAME_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (dev[i] == '/' || dev[i] == ':' || dev[i] <= ' ' || dev[i] == 0x7f)
            return false;
    return !(len == 1 && dev[0] == '.') && !(len == 2 && dev[0] == '.' && dev[1] == '.');
}

static int cat_parse_tun(const char *arg, struct cat_opts *o)
{
    const char *eq = strchr(arg, '=');
    if (eq == NULL)
        return cat_usage_error("bad --tun '%s' (expected DEV=ADDR)", arg);
    size_t dlen = (size_t)(eq - arg);
    if (!cat_dev_name_ok(arg, dlen))
        return cat_usage_error("bad --tun '%s': '%.*s' is not a valid interface name "
                               "(1..%d characters, no '/', ':' or spaces)",
                               arg, (int)dlen, arg, CAT_DEV_NAME_MAX);
    if (o->ntuns >= UMPTCP_MAX_INTERFACES)
        return cat_usage_error("too many --tun (at most %d)", UMPTCP_MAX_INTERFACES);
    struct cat_tun *t = &o->tuns[o->ntuns];
    if (umptcp_addr_parse(&t->addr, eq + 1) != UMPTCP_OK)
        return cat_usage_error("bad --tun '%s': '%s' is not an IPv4 or IPv6 address", arg, eq + 1);
    for (size_t i = 0; i < o->ntuns; i++) {
        if (umptcp_addr_equal(&o->tuns[i].addr, &t->addr))
            return cat_usage_error("address %s is given twice to --tun", eq + 1);
        if (strlen(o->tuns[i].dev) == dlen && memcmp(o->tuns[i].dev, arg, dlen) == 0)
            return cat_usage_error("device '%.*s' is given twice to --tun", (int)dlen, arg);
    }
    memcpy(t->dev, arg, dlen);
    t->dev[dlen] = '\0';
    o->ntuns++;
    return CAT_EXIT_OK;
}

static int cat_parse_numeric_opt(int opt, const char *arg, struct cat_opts *o)
{
    uint64_t v;
    switch (opt) {
    case CAT_OPT_SEED:
        if (!cat_parse_uint(arg, UINT64_MAX, &v))
            return cat_usage_error("bad --seed '%s' (expected a non-negative integer)", arg);
        o->seed = v;
        o->seeded = true;
        return CAT_EXIT_OK;
    case CAT_OPT_MSS:
        if (!cat_parse_uint(arg, 65495, &v) || v < 88)
            return cat_usage_error("bad --mss '%s' (expected 88..65495)", arg);
        o->mss = (uint16_t)v;
        return CAT_EXIT_OK;
    case CAT_OPT_MTU:
        if (!cat_parse_uint(arg, 65535, &v) || v < 576)
            return cat_usage_error("bad --mtu '%s' (expected 576..65535)", arg);
        o->mtu = (int)v;
        return CAT_EXIT_OK;
    case CAT_OPT_MAX_SUBFLOWS:
        if (!cat_parse_uint(arg, CAT_DEFAULT_SUBFLOWS, &v) || v == 0)
            return cat_usage_error("bad --max-subflows '%s' (expected 1..%d)", arg,
                                   CAT_DEFAULT_SUBFLOWS);
        o->max_subflows = (unsigned)v;
        o->mptcp_only_opt = "--max-subflows";
        return CAT_EXIT_OK;
    case CAT_OPT_CONNECT_TIMEOUT: {
        char *end = NULL;
        errno = 0;
        double secs = strtod(arg, &end);
        if (end == arg || *end != '\0' || errno != 0 || !(secs > 0.0) || secs > 86400.0)
            return cat_usage_error("bad --connect-timeout '%s' (expected seconds, 0 < SECS <= "
                                   "86400)",
                                   arg);
        o->connect_timeout_ms = (uint64_t)(secs * 1000.0 + 0.5);
        if (o->connect_timeout_ms == 0)
            o->connect_timeout_ms = 1;
        return CAT_EXIT_OK;
    }
    case CAT_OPT_LOSS:
        if (cat_parse_prob("loss", arg, &o->loss_in) != CAT_EXIT_OK)
            return CAT_EXIT_USAGE;
        o->loss_out = o->loss_in;
        return CAT_EXIT_OK;
    case CAT_OPT_LOSS_IN:
        return cat_parse_prob("loss-in", arg, &o->loss_in);
    default: /* CAT_OPT_LOSS_OUT */
        return cat_parse_prob("loss-out", arg, &o->loss_out);
    }
}

/* --cc, --pm, --sched: a name (checked against the registries by the caller). */
static int cat_parse_name_opt(int opt, const char *arg, struct cat_opts *o)
{
    const char *what = opt == CAT_OPT_CC ? "--cc" : opt == CAT_OPT_PM ? "--pm" : "--sched";
    if (arg[0] == '\0')
        return cat_usage_error("%s needs a name", what);
    if (opt == CAT_OPT_CC) {
        o->cc = arg;
        return CAT_EXIT_OK;
    }
    *(opt == CAT_OPT_PM ? &o->pm : &o->sched) = arg;
    o->mptcp_only_opt = what;
    return CAT_EXIT_OK;
}

/* --backup DEV: remembered here, matched with the --tun devices once all options are read. */
static int cat_parse_backup(const char *dev, struct cat_opts *o)
{
    if (!cat_dev_name_ok(dev, strlen(dev)))
        return cat_usage_error("bad --backup '%s': not a valid interface name", dev);
    for (size_t i = 0; i < o->nbackup; i++)
        if (strcmp(o->backup[i], dev) == 0)
            return cat_usage_error("device '%s' is given twice to --backup", dev);
    if (o->nbackup >= UMPTCP_MAX_INTERFACES)
        return cat_usage_error("too many --backup (at most %d)", UMPTCP_MAX_INTERFACES);
    o->backup[o->nbackup++] = dev;
    o->mptcp_only_opt = "--backup";
    return CAT_EXIT_OK;
}

/* Every --backup names a --tun device; MPTCP options need MPTCP. */
static int cat_check_mptcp_opts(struct cat_opts *o)
{
    if (!o->mptcp && o->mptcp_only_opt != NULL)
        return cat_usage_error("%s needs MPTCP: it cannot go with --no-mptcp", o->mptcp_only_opt);
    for (size_t b = 0; b < o->nbackup; b++) {
        size_t i = 0;
        while (i < o->ntuns && strcmp(o->tuns[i].dev, o->backup[b]) != 0)
            i++;
        if (i == o->ntuns)
            return cat_usage_error("--backup '%s' is not one of the --tun devices", o->backup[b]);
        o->tuns[i].backup = true;
    }
    return CAT_EXIT_OK;
}

/* Options that take no argument or a plain string. Returns -1 when opt is not one of them. */
static int cat_parse_simple_opt(int opt, const char *arg, struct cat_opts *o)
{
    switch (opt) {
    case 'l':
        o->listen = true;
        return CAT_EXIT_OK;
    case 'q':
        o->quiet = true;
        return CAT_EXIT_OK;
    case 'v':
        o->verbose++;
        return CAT_EXIT_OK;
    case CAT_OPT_NO_MPTCP:
        o->mptcp = false;
        return CAT_EXIT_OK;
    case CAT_OPT_NODELAY:
        o->nodelay = true;
        return CAT_EXIT_OK;
    case CAT_OPT_CHECKSUM:
        o->checksum = true;
        o->mptcp_only_opt = "--checksum";
        return CAT_EXIT_OK;
    case CAT_OPT_CC:
    case CAT_OPT_PM:
    case CAT_OPT_SCHED:
        return cat_parse_name_opt(opt, arg, o);
    case CAT_OPT_BACKUP:
        return cat_parse_backup(arg, o);
    case CAT_OPT_PCAP:
    case CAT_OPT_STATS:
        if (arg[0] == '\0')
            return cat_usage_error("--%s needs a file name",
                                   opt == CAT_OPT_PCAP ? "pcap" : "stats");
        *(opt == CAT_OPT_PCAP ? &o->pcap : &o->stats) = arg;
        return CAT_EXIT_OK;
    case CAT_OPT_TUN:
        return cat_parse_tun(arg, o);
    default:
        return -1;
    }
}

/* The option getopt_long() complained about, as the user wrote it. */
static const char *cat_bad_option_text(char **argv, char *buf, size_t len)
{
    if (optopt > 0 && optopt < 256) {
        snprintf(buf, len, "-%c", optopt);
        return buf;
    }
    const char *arg = argv[optind - 1];
    const char *eq = strchr(arg, '=');
    snprintf(buf, len, "%.*s", eq != NULL ? (int)(eq - arg) : (int)strlen(arg), arg);
    return buf;
}

static int cat_parse_positionals(int n, char **args, struct cat_opts *o)
{
    if (o->listen) {
        if (n == 0)
            return cat_usage_error("-l needs PORT");
        if (n > 1)
            return cat_usage_error("-l takes only PORT, not HOST PORT ('%s' is extra)", args[0]);
        return cat_parse_port(args[0], &o->port);
    }
    if (n == 0)
        return cat_usage_error("missing HOST and PORT");
    if (n == 1)
        return cat_usage_error("missing PORT after HOST '%s'", args[0]);
    if (n > 2)
        return cat_usage_error("unexpected argument '%s'", args[2]);
    if (args[0][0] == '\0')
        return cat_usage_error("empty HOST");
    o->host = args[0];
    return cat_parse_port(args[1], &o->port);
}

int cat_parse_args(int argc, char **argv, struct cat_opts *o, bool *help)
{
    memset(o, 0, sizeof(*o));
    o->mptcp = true;
    o->max_subflows = CAT_DEFAULT_SUBFLOWS;
    *help = false;
    opterr = 0;
    optind = 1;
    int opt;
    while ((opt = getopt_long(argc, argv, ":lqvh", cat_long_opts, NULL)) != -1) {
        char buf[64];
        if (opt == 'h') {
            cat_usage(stdout);
            *help = true;
            return CAT_EXIT_OK;
        }
        if (opt == '?')
            return cat_usage_error("unknown option '%s'",
                                   cat_bad_option_text(argv, buf, sizeof(buf)));
        if (opt == ':')
            return cat_usage_error("option '%s' needs a value",
                                   cat_bad_option_text(argv, buf, sizeof(buf)));
        int rc = cat_parse_simple_opt(opt, optarg, o);
        if (rc < 0)
            rc = cat_parse_numeric_opt(opt, optarg, o);
        if (rc != CAT_EXIT_OK)
            return rc;
    }
    int rc = cat_parse_positionals(argc - optind, argv + optind, o);
    if (rc != CAT_EXIT_OK)
        return rc;
    if (o->ntuns == 0)
        return cat_usage_error("no interface: give at least one --tun DEV=ADDR");
    return cat_check_mptcp_opts(o);
}
