/* scn_plot: the time series drawn with gnuplot. Writes a data file (one block per series,
 * blocks separated by two blank lines so the script picks them with `index`) and a script to
 * temporary files, runs gnuplot on the script without a shell, and removes both. */
#include "scenario/scenario_report_internal.h"

#include <errno.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <unistd.h>

#include "scenario/scenario_json.h"
#include "umptcp/error.h"

#define NSERIES_MAX (SCN_MAX_FLOWS * (SCN_MAX_SUBFLOWS + 1))

/* One line of the drawing: a subflow of a flow, or the flow's aggregate (sub -1). */
struct series {
    size_t flow;
    int sub;
};

/* Series in drawing order: per flow its aggregate, then its subflows by index; only those
 * with samples. */
struct series_set {
    struct series s[NSERIES_MAX];
    size_t n;
    uint64_t last_ns; /* the latest sample */
};

/* Temporary files of one plot, removed whatever happens. */
struct temps {
    char data[512], script[512];
};

static void collect_series(const struct scn_result *r, struct series_set *set)
{
    bool seen[SCN_MAX_FLOWS][SCN_MAX_SUBFLOWS + 1] = {{false}};
    set->n = 0;
    set->last_ns = 0;
    for (size_t i = 0; i < r->nsamples; i++) {
        const struct scn_sample *sm = &r->samples[i];
        if (sm->flow >= SCN_MAX_FLOWS || sm->subflow < -1 || sm->subflow >= SCN_MAX_SUBFLOWS)
            continue;
        seen[sm->flow][sm->subflow + 1] = true;
        if (sm->t_ns > set->last_ns)
            set->last_ns = sm->t_ns;
    }
    for (size_t f = 0; f < SCN_MAX_FLOWS; f++)
        for (int k = -1; k < SCN_MAX_SUBFLOWS; k++)
            if (seen[f][k + 1])
                set->s[set->n++] = (struct series){f, k};
}

/* Writes the message into err and returns rc. */
__attribute__((format(printf, 4, 5))) static int fail(char *err, size_t errlen, int rc,
                                                      const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

/* Creates an empty temporary file named after `what` in $TMPDIR (or /tmp). */
static FILE *temp_file(char *path, size_t len, const char *what)
{
    const char *dir = getenv("TMPDIR");
    if (dir == NULL || dir[0] == 0)
        dir = "/tmp";
    int n = snprintf(path, len, "%s/umptcp-plot-%s-XXXXXX", dir, what);
    if (n < 0 || (size_t)n >= len) {
        errno = ENAMETOOLONG;
        path[0] = 0;
        return NULL;
    }
    int fd = mkstemp(path);
    if (fd < 0) {
        path[0] = 0;
        return NULL;
    }
    FILE *f = fdopen(fd, "w");
    if (f == NULL)
        close(fd);
    return f;
}

static int write_data(FILE *f, const struct scn_result *r, const struct series_set *set)
{
    for (size_t j = 0; j < set->n; j++) {
        if (j > 0)
            fputs("\n\n", f);
        fprintf(f, "# flow %zu subflow %d: time_s mbit_s cwnd_kb\n", set->s[j].flow, set->s[j].sub);
        for (size_t i = 0; i < r->nsamples; i++) {
            const struct scn_sample *sm = &r->samples[i];
            if (sm->flow != set->s[j].flow || sm->subflow != set->s[j].sub)
                continue;
            char t[40], rate[64], cwnd[64];
            fprintf(f, "%s %s %s\n", scn_fmt_seconds(t, sizeof(t), sm->t_ns, 6),
                    scn_fmt_double(rate, sizeof(rate), sm->rate_bps / 1e6, 6),
                    scn_fmt_double(cwnd, sizeof(cwnd), (double)sm->cwnd / 1000.0, 3));
        }
    }
    return ferror(f) ? -1 : 0;
}

/* s as a gnuplot single-quoted string: no escapes there except '' for a quote; control
 * characters (which the string cannot hold) become spaces. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (const unsigned char *p = (const unsigned char *)s; *p != 0; p++) {
        if (*p == '\'')
            fputc('\'', f);
        fputc(*p < 0x20 || *p == 0x7f ? ' ' : *p, f);
    }
    fputc('\'', f);
}

/* Colours of the subflows (cycled) and, darker, of the flows' aggregates. */
static const char *const sub_colors[] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728",
                                         "#9467bd", "#8c564b", "#e377c2", "#17becf"};
static const char *const flow_colors[] = {"#222222", "#7f7f7f", "#555599", "#995555"};
#define NCOLORS(a) (sizeof(a) / sizeof((a)[0]))

static void series_title(const struct scn_report *rep, const struct series *se, char *buf,
                         size_t len)
{
    const struct scn_flow *f = scn_rep_flow(rep, se->flow);
    const char *name = f != NULL ? f->name : "?";
    const struct scn_flow_result *fr = scn_rep_flow_result(rep, se->flow);
    const char *link = fr != NULL ? scn_sub_link(fr, se->sub) : "";
    if (se->sub < 0)
        snprintf(buf, len, "%s (total)", name);
    else if (link[0] != 0)
        snprintf(buf, len, "%s %s", name, link);
    else
        snprintf(buf, len, "%s #%d", name, se->sub);
}

/* One `plot` command: column 2 (throughput, aggregates included) or 3 (cwnd, subflows only).
 * A subflow keeps its colour in both panels. */
static void plot_command(FILE *f, const struct scn_report *rep, const struct series_set *set,
                         const char *data, int column)
{
    bool first = true;
    size_t nsub = 0;
    for (size_t j = 0; j < set->n; j++) {
        const struct series *se = &set->s[j];
        bool total = se->sub < 0;
        const char *color = total ? flow_colors[se->flow % NCOLORS(flow_colors)]
                                  : sub_colors[nsub++ % NCOLORS(sub_colors)];
        if (total && column == 3)
            continue;
        char title[96];
        series_title(rep, se, title, sizeof(title));
        fputs(first ? "plot " : ", \\\n     ", f);
        first = false;
        put_quoted(f, data);
        fprintf(f, " index %zu using 1:%d with lines lw %s lc rgb '%s' title ", j, column,
                total ? "3" : "1.5", color);
        put_quoted(f, title);
    }
    fputc('\n', f);
}

/* Same margins in both panels so their time axes line up; the legends go right of the data,
 * in a margin as wide as the longest title needs (about 7 pixels a character of 1000, plus
 * the line sample), within bounds. */
static void layout(FILE *f, const struct scn_report *rep, const struct series_set *set)
{
    size_t longest = 0;
    for (size_t j = 0; j < set->n; j++) {
        char title[96];
        series_title(rep, &set->s[j], title, sizeof(title));
        if (strlen(title) > longest)
            longest = strlen(title);
    }
    double right = 1.0 - (60.0 + 7.0 * (double)longest) / 1000.0;
    right = right < 0.5 ? 0.5 : right > 0.8 ? 0.8 : right;
    char r[32], k[32];
    fprintf(f,
            "set lmargin at screen 0.08\nset rmargin at screen %s\n"
            "set key at screen %s, graph 1 left top vertical Left reverse noautotitle\n",
            scn_fmt_double(r, sizeof(r), right, 3), scn_fmt_double(k, sizeof(k), right + 0.02, 3));
}

static const char *terminal_for(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (dot == NULL || strchr(dot, '/') != NULL)
        return NULL;
    if (strcasecmp(dot, ".svg") == 0)
        return "svg size 1000,700 dynamic noenhanced font 'Sans,12' background rgb 'white'";
    if (strcasecmp(dot, ".png") == 0)
        return "pngcairo size 1000,700 noenhanced font 'Sans,10' background rgb 'white'";
    return NULL;
}

static int write_script(FILE *f, const struct scn_report *rep, const struct series_set *set,
                        const char *out_path, const char *data)
{
    char xmax[40];
    /* gnuplot refuses an empty x range: samples only at 0 get one second */
    uint64_t xmax_ns = set->last_ns > 0 ? set->last_ns : 1000000000u;
    fprintf(f, "set terminal %s\nset output ", terminal_for(out_path));
    put_quoted(f, out_path);
    fputs("\nset multiplot layout 2,1 title ", f);
    char title[SCN_NAME_MAX + 16];
    snprintf(title, sizeof(title), "scenario %s", rep->scenario->name);
    put_quoted(f, title);
    fputs(" font ',14'\n", f);
    layout(f, rep, set);
    fprintf(f,
            "set grid\nset border 3\nset tics nomirror\nset xrange [0:%s]\n"
            "set yrange [0:*]\nset xlabel 'time (s)'\n",
            scn_fmt_seconds(xmax, sizeof(xmax), xmax_ns, 3));
    fputs("set ylabel 'throughput (Mbit/s)'\n", f);
    plot_command(f, rep, set, data, 2);
    fputs("set ylabel 'cwnd (KB)'\n", f);
    plot_command(f, rep, set, data, 3);
    fputs("unset multiplot\nset output\n", f);
    return ferror(f) ? -1 : 0;
}

/* Runs `gnuplot SCRIPT` and waits for it. */
static int run_gnuplot(const char *script, char *err, size_t errlen)
{
    char *argv[] = {"gnuplot", (char *)script, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "gnuplot", NULL, NULL, argv, environ);
    if (rc == ENOENT)
        return fail(err, errlen, UMPTCP_ERR_NOTFOUND,
                    "gnuplot not found: install it (apt-get install gnuplot-nox) or leave out "
                    "--plot");
    if (rc != 0)
        return fail(err, errlen, UMPTCP_ERR_IO, "cannot run gnuplot: %s", strerror(rc));
    int status;
    while (waitpid(pid, &status, 0) < 0) {
        if (errno != EINTR)
            return fail(err, errlen, UMPTCP_ERR_IO, "waiting for gnuplot: %s", strerror(errno));
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        snprintf(err, errlen, "gnuplot failed (killed by signal %d)", WTERMSIG(status));
    else
        snprintf(err, errlen, "gnuplot failed (exit status %d)", WEXITSTATUS(status));
    return UMPTCP_ERR_IO;
}

/* Writes one temporary file with `write`, closing it; the path stays in `path`. */
static int write_temp(char *path, size_t len, const char *what, char *err, size_t errlen,
                      int (*write)(FILE *, const void *), const void *ctx)
{
    FILE *f = temp_file(path, len, what);
    if (f == NULL)
        return fail(err, errlen, UMPTCP_ERR_IO, "cannot create a temporary file: %s",
                    strerror(errno));
    int rc = write(f, ctx);
    if (fclose(f) != 0 || rc != 0)
        return fail(err, errlen, UMPTCP_ERR_IO, "cannot write the temporary file %s", path);
    return 0;
}

struct plot_job {
    const struct scn_report *rep;
    const struct series_set *set;
    const char *out_path;
    const struct temps *tmp;
};

static int data_writer(FILE *f, const void *ctx)
{
    const struct plot_job *job = ctx;
    return write_data(f, job->rep->result, job->set);
}

static int script_writer(FILE *f, const void *ctx)
{
    const struct plot_job *job = ctx;
    return write_script(f, job->rep, job->set, job->out_path, job->tmp->data);
}

static int check_path(const char *path, char *err, size_t errlen)
{
    for (const unsigned char *p = (const unsigned char *)path; *p != 0; p++)
        if (*p < 0x20 || *p == 0x7f)
            return fail(err, errlen, UMPTCP_ERR_INVAL, "plot file name has control characters");
    if (terminal_for(path) != NULL)
        return 0;
    const char *dot = strrchr(path, '.');
    if (dot == NULL || strchr(dot, '/') != NULL)
        return fail(err, errlen, UMPTCP_ERR_INVAL,
                    "plot file '%s' has no extension: use .svg or .png", path);
    return fail(err, errlen, UMPTCP_ERR_INVAL, "unknown plot format '%s': use .svg or .png", dot);
}

int scn_plot(const char *path, const struct scn_report *rep, char *err, size_t errlen)
{
    int rc = check_path(path, err, errlen);
    if (rc != 0)
        return rc;
    struct series_set *set = malloc(sizeof(*set));
    if (set == NULL)
        return fail(err, errlen, UMPTCP_ERR_NOMEM, "out of memory");
    collect_series(rep->result, set);
    if (set->n == 0) {
        free(set);
        return fail(err, errlen, UMPTCP_ERR_INVAL, "nothing to plot: the run recorded no samples");
    }
    struct temps tmp = {{0}, {0}};
    struct plot_job job = {rep, set, path, &tmp};
    rc = write_temp(tmp.data, sizeof(tmp.data), "data", err, errlen, data_writer, &job);
    if (rc == 0)
        rc = write_temp(tmp.script, sizeof(tmp.script), "script", err, errlen, script_writer, &job);
    if (rc == 0)
        rc = run_gnuplot(tmp.script, err, errlen);
    if (tmp.data[0] != 0)
        unlink(tmp.data);
    if (tmp.script[0] != 0)
        unlink(tmp.script);
    free(set);
    return rc;
}
