/* umptcp cat's command line, through the real binary ($UMPTCP_BIN): every mistake gives exit
 * status 2 and exactly one line on stderr that names the problem; MPTCP is the default and its
 * options (--checksum, --max-subflows, --backup, --pm, --sched) take good values and refuse bad
 * ones and --no-mptcp; --help documents the contract and the testing aids. None of these runs
 * reaches a TUN device (no privileges needed). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "testutil.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUN_TIMEOUT_MS 10000
#define MAX_ARGS 24

struct run {
    int status; /* exit status, or -1 when it did not exit normally */
    char out[16384];
    char err[4096];
};

static size_t drain(int fd, char *buf, size_t cap, size_t used, bool *eof)
{
    ssize_t n = read(fd, buf + used, cap - 1 - used);
    if (n <= 0)
        *eof = true;
    else
        used += (size_t)n;
    buf[used] = '\0';
    return used;
}

/* Runs "$UMPTCP_BIN cat ARGS..." (NULL-terminated) with stdin from /dev/null. */
static void run_cat(struct run *r, const char *first, ...)
{
    const char *bin = getenv("UMPTCP_BIN");
    assert_non_null(bin);
    const char *argv[MAX_ARGS] = {bin, "cat"};
    int argc = 2;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a != NULL; a = va_arg(ap, const char *)) {
        assert_true(argc < MAX_ARGS - 1);
        argv[argc++] = a;
    }
    va_end(ap);
    argv[argc] = NULL;

    int outp[2], errp[2];
    assert_int_equal(pipe(outp), 0);
    assert_int_equal(pipe(errp), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int null = open("/dev/null", O_RDONLY);
        dup2(null, 0);
        dup2(outp[1], 1);
        dup2(errp[1], 2);
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(outp[1]);
    close(errp[1]);
    memset(r, 0, sizeof(*r));
    size_t nout = 0, nerr = 0;
    bool out_eof = false, err_eof = false;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!out_eof || !err_eof) {
        struct pollfd p[2] = {{.fd = out_eof ? -1 : outp[0], .events = POLLIN},
                              {.fd = err_eof ? -1 : errp[0], .events = POLLIN}};
        int rc = poll(p, 2, 100);
        assert_true(rc >= 0);
        if (p[0].revents != 0)
            nout = drain(outp[0], r->out, sizeof(r->out), nout, &out_eof);
        if (p[1].revents != 0)
            nerr = drain(errp[0], r->err, sizeof(r->err), nerr, &err_eof);
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) * 1000 > RUN_TIMEOUT_MS) {
            kill(pid, SIGKILL);
            break;
        }
    }
    close(outp[0]);
    close(errp[0]);
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* One line, "umptcp cat: ..." containing each given fragment, and the exit status. */
static void expect_error(const struct run *r, int status, const char *fragment)
{
    if (r->status != status || strstr(r->err, fragment) == NULL)
        fail_msg("status %d (expected %d), stderr: <%s> (expected to contain <%s>)", r->status,
                 status, r->err, fragment);
    assert_int_equal(strncmp(r->err, "umptcp cat: ", 12), 0);
    const char *nl = strchr(r->err, '\n');
    assert_non_null(nl);
    assert_string_equal(nl + 1, ""); /* exactly one line */
    assert_string_equal(r->out, ""); /* nothing on stdout */
}

static void test_unknown_long_option(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "--no-mptcp", "--bogus", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "unknown option '--bogus'");
    run_cat(&r, "--bogus=3", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "unknown option '--bogus'");
}

static void test_unknown_short_option(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "-x", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "unknown option '-x'");
}

static void test_option_without_value(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "10.0.0.1", "80", "--tun", NULL);
    expect_error(&r, 2, "option '--tun' needs a value");
    run_cat(&r, "--tun", "t0=10.0.0.2", "10.0.0.1", "80", "--stats", NULL);
    expect_error(&r, 2, "option '--stats' needs a value");
}

static void test_missing_port(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "--no-mptcp", "--tun", "t0=10.0.0.2", "10.0.0.1", NULL);
    expect_error(&r, 2, "missing PORT after HOST '10.0.0.1'");
    run_cat(&r, "--no-mptcp", "--tun", "t0=10.0.0.2", NULL);
    expect_error(&r, 2, "missing HOST and PORT");
    run_cat(&r, "-l", "--no-mptcp", "--tun", "t0=10.0.0.2", NULL);
    expect_error(&r, 2, "-l needs PORT");
}

static void test_bad_port(void **state)
{
    (void)state;
    static const char *const bad[] = {"0", "65536", "80x", "http", "", "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct run r;
        run_cat(&r, "--no-mptcp", "--tun", "t0=10.0.0.2", "10.0.0.1", bad[i], NULL);
        char frag[64];
        snprintf(frag, sizeof(frag), "bad port '%s' (expected 1..65535)", bad[i]);
        expect_error(&r, 2, frag);
        run_cat(&r, "-l", "--no-mptcp", "--tun", "t0=10.0.0.2", bad[i], NULL);
        expect_error(&r, 2, frag);
    }
}

static void test_extra_argument(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "--no-mptcp", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", "81", NULL);
    expect_error(&r, 2, "unexpected argument '81'");
}

static void test_listen_with_host(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "-l", "--no-mptcp", "--tun", "t0=10.0.0.2", "10.0.0.1", "5000", NULL);
    expect_error(&r, 2, "-l takes only PORT, not HOST PORT ('10.0.0.1' is extra)");
}

static void test_bad_tun_syntax(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "--no-mptcp", "--tun", "t0", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "bad --tun 't0' (expected DEV=ADDR)");
    run_cat(&r, "--no-mptcp", "--tun", "=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "bad --tun '=10.0.0.2': '' is not a valid interface name");
    run_cat(&r, "--no-mptcp", "--tun", "a-sixteen-chars0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "'a-sixteen-chars0' is not a valid interface name");
    run_cat(&r, "--no-mptcp", "--tun", "a/b=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "'a/b' is not a valid interface name");
}

static void test_bad_tun_address(void **state)
{
    (void)state;
    static const char *const bad[] = {"10.0.0.300", "10.0.0.2/24", "", "fd00::1::2", "host"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char arg[64], frag[96];
        snprintf(arg, sizeof(arg), "t0=%s", bad[i]);
        snprintf(frag, sizeof(frag), "'%s' is not an IPv4 or IPv6 address", bad[i]);
        struct run r;
        run_cat(&r, "--no-mptcp", "--tun", arg, "10.0.0.1", "80", NULL);
        expect_error(&r, 2, frag);
    }
}

static void test_duplicate_tun(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "--no-mptcp", "--tun", "t0=10.0.0.2", "--tun", "t1=10.0.0.2", "10.0.0.1", "80",
            NULL);
    expect_error(&r, 2, "address 10.0.0.2 is given twice to --tun");
    run_cat(&r, "--no-mptcp", "--tun", "t0=10.0.0.2", "--tun", "t0=10.0.1.2", "10.0.0.1", "80",
            NULL);
    expect_error(&r, 2, "device 't0' is given twice to --tun");
}

static void test_no_tun(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "--no-mptcp", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "give at least one --tun DEV=ADDR");
}

static void test_bad_numbers(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "--no-mptcp", "--loss", "1.5", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "bad probability '1.5' for --loss");
    run_cat(&r, "--no-mptcp", "--loss-in", "abc", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "bad probability 'abc' for --loss-in");
    run_cat(&r, "--no-mptcp", "--loss-out", "101%", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "bad probability '101%' for --loss-out");
    run_cat(&r, "--no-mptcp", "--seed", "x1", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "bad --seed 'x1'");
    run_cat(&r, "--no-mptcp", "--mss", "40", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "bad --mss '40'");
    run_cat(&r, "--no-mptcp", "--mtu", "100000", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "bad --mtu '100000'");
    run_cat(&r, "--no-mptcp", "--connect-timeout", "0", "--tun", "t0=10.0.0.2", "10.0.0.1", "80",
            NULL);
    expect_error(&r, 2, "bad --connect-timeout '0'");
    run_cat(&r, "--no-mptcp", "--connect-timeout", "1s", "--tun", "t0=10.0.0.2", "10.0.0.1", "80",
            NULL);
    expect_error(&r, 2, "bad --connect-timeout '1s'");
}

static void test_unknown_cc(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "--no-mptcp", "--cc", "vegas9", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "unknown congestion control 'vegas9' (available: reno, cubic");
    run_cat(&r, "--no-mptcp", "--cc", "", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "--cc needs a name");
}

/* MPTCP is the default mode: without --no-mptcp the command runs (here up to resolving HOST,
 * which fails before any device is touched). Options and operands in any order (GNU getopt
 * permutation), and a valid loss given as a percentage. */
static void test_mptcp_is_the_default(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "fd00::1", "80", "--tun", "t0=10.0.0.2", "--loss", "1%", "-q", NULL);
    expect_error(&r, 1, "cannot reach fd00::1: no --tun address is IPv6");
    run_cat(&r, "-l", "--tun=t0=fd00::2", "--seed", "7", NULL);
    expect_error(&r, 2, "-l needs PORT");
}

/* A good value of an option is shown by the run reaching the next, later error (HOST of a
 * family no --tun has: exit 1, before any device is touched). */
static void expect_accepted(const struct run *r)
{
    expect_error(r, 1, "cannot reach fd00::1: no --tun address is IPv6");
}

static void test_max_subflows(void **state)
{
    (void)state;
    static const char *const bad[] = {"0", "9", "100", "-1", "x", "", "2x", "1.5"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct run r;
        char frag[64];
        snprintf(frag, sizeof(frag), "bad --max-subflows '%s' (expected 1..8)", bad[i]);
        run_cat(&r, "--max-subflows", bad[i], "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
        expect_error(&r, 2, frag);
    }
    static const char *const good[] = {"1", "2", "8"};
    for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        struct run r;
        run_cat(&r, "--max-subflows", good[i], "--tun", "t0=10.0.0.2", "fd00::1", "80", NULL);
        expect_accepted(&r);
    }
    struct run r;
    run_cat(&r, "--tun", "t0=10.0.0.2", "10.0.0.1", "80", "--max-subflows", NULL);
    expect_error(&r, 2, "option '--max-subflows' needs a value");
}

static void test_backup(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "--backup", "t2", "--tun", "t0=10.0.0.2", "--tun", "t1=10.0.1.2", "10.0.0.1", "80",
            NULL);
    expect_error(&r, 2, "--backup 't2' is not one of the --tun devices");
    run_cat(&r, "--tun", "t0=10.0.0.2", "--backup", "t0", "--backup", "t0", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "device 't0' is given twice to --backup");
    run_cat(&r, "--tun", "t0=10.0.0.2", "--backup", "a/b", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "bad --backup 'a/b': not a valid interface name");
    run_cat(&r, "--tun", "t0=10.0.0.2", "--backup", "", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "bad --backup '': not a valid interface name");
    run_cat(&r, "--tun", "t0=10.0.0.2", "10.0.0.1", "80", "--backup", NULL);
    expect_error(&r, 2, "option '--backup' needs a value");
    /* Before or after its --tun, once or for several devices. */
    run_cat(&r, "--backup", "t1", "--tun", "t0=10.0.0.2", "--tun", "t1=10.0.1.2", "fd00::1", "80",
            NULL);
    expect_accepted(&r);
    run_cat(&r, "--tun", "t0=10.0.0.2", "--tun", "t1=10.0.1.2", "--backup", "t0", "--backup", "t1",
            "fd00::1", "80", NULL);
    expect_accepted(&r);
}

static void test_pm_and_sched(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "--pm", "nope", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "unknown path manager 'nope' (available: fullmesh, ndiffports)");
    run_cat(&r, "--pm", "", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "--pm needs a name");
    run_cat(&r, "--sched", "blest", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "unknown scheduler 'blest' (available: minrtt, rr)");
    run_cat(&r, "--sched", "", "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
    expect_error(&r, 2, "--sched needs a name");
    run_cat(&r, "--tun", "t0=10.0.0.2", "10.0.0.1", "80", "--sched", NULL);
    expect_error(&r, 2, "option '--sched' needs a value");
    run_cat(&r, "--pm", "fullmesh", "--sched", "rr", "--tun", "t0=10.0.0.2", "fd00::1", "80", NULL);
    expect_accepted(&r);
    run_cat(&r, "--pm", "ndiffports", "--tun", "t0=10.0.0.2", "fd00::1", "80", NULL);
    expect_accepted(&r);
    run_cat(&r, "--sched", "minrtt", "--checksum", "--tun", "t0=10.0.0.2", "fd00::1", "80", NULL);
    expect_accepted(&r);
}

/* The MPTCP options need MPTCP: with --no-mptcp each one is a usage error, in either order. */
static void test_mptcp_options_need_mptcp(void **state)
{
    (void)state;
    static const char *const opts[][2] = {
        {"--checksum", NULL}, {"--max-subflows", "2"}, {"--backup", "t0"},
        {"--pm", "fullmesh"}, {"--sched", "rr"},
    };
    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        char frag[96];
        snprintf(frag, sizeof(frag), "%s needs MPTCP: it cannot go with --no-mptcp", opts[i][0]);
        struct run r;
        if (opts[i][1] == NULL)
            run_cat(&r, "--no-mptcp", opts[i][0], "--tun", "t0=10.0.0.2", "10.0.0.1", "80", NULL);
        else
            run_cat(&r, opts[i][0], opts[i][1], "--tun", "t0=10.0.0.2", "--no-mptcp", "10.0.0.1",
                    "80", NULL);
        expect_error(&r, 2, frag);
    }
}

/* A HOST of a family no --tun has fails before any device is touched. */
static void test_host_family_without_tun(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "--no-mptcp", "--tun", "t0=10.0.0.2", "fd00::1", "80", NULL);
    expect_error(&r, 1, "cannot reach fd00::1: no --tun address is IPv6");
}

static void test_help(void **state)
{
    (void)state;
    struct run r;
    run_cat(&r, "--help", NULL);
    assert_int_equal(r.status, 0);
    assert_string_equal(r.err, "");
    static const char *const wanted[] = {"umptcp cat [OPTIONS] HOST PORT",
                                         "umptcp cat -l [OPTIONS] PORT",
                                         "--tun DEV=ADDR",
                                         "--no-mptcp",
                                         "--checksum",
                                         "--max-subflows N",
                                         "--backup DEV",
                                         "--pm NAME",
                                         "--sched NAME",
                                         "--cc NAME",
                                         "--pcap FILE",
                                         "--stats FILE",
                                         "-q",
                                         "--loss P",
                                         "--loss-in P",
                                         "--loss-out P",
                                         "--seed N",
                                         "testing aids"};
    for (size_t i = 0; i < sizeof(wanted) / sizeof(wanted[0]); i++)
        if (strstr(r.out, wanted[i]) == NULL)
            fail_msg("--help does not mention '%s'", wanted[i]);
    /* The top-level help lists the command. */
    const char *bin = getenv("UMPTCP_BIN");
    char cmd[1024], out[4096];
    snprintf(cmd, sizeof(cmd), "'%s' --help", bin);
    assert_int_equal(tu_run(cmd, out, sizeof(out)), 0);
    assert_non_null(strstr(out, "  cat "));
}

int main(void)
{
    tu_require(getenv("UMPTCP_BIN") != NULL, "UMPTCP_BIN (the umptcp binary)");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unknown_long_option),
        cmocka_unit_test(test_unknown_short_option),
        cmocka_unit_test(test_option_without_value),
        cmocka_unit_test(test_missing_port),
        cmocka_unit_test(test_bad_port),
        cmocka_unit_test(test_extra_argument),
        cmocka_unit_test(test_listen_with_host),
        cmocka_unit_test(test_bad_tun_syntax),
        cmocka_unit_test(test_bad_tun_address),
        cmocka_unit_test(test_duplicate_tun),
        cmocka_unit_test(test_no_tun),
        cmocka_unit_test(test_bad_numbers),
        cmocka_unit_test(test_unknown_cc),
        cmocka_unit_test(test_mptcp_is_the_default),
        cmocka_unit_test(test_max_subflows),
        cmocka_unit_test(test_backup),
        cmocka_unit_test(test_pm_and_sched),
        cmocka_unit_test(test_mptcp_options_need_mptcp),
        cmocka_unit_test(test_host_family_without_tun),
        cmocka_unit_test(test_help),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
