/* Reading scenario files (docs/SCENARIOS.md): libinih over our own line reader.
 *
 * The reader hands libinih one line per call, so the handler always runs for the line the
 * reader last read and st->lineno is the line of every key. The reader also checks what
 * libinih would accept silently or report without a message (long lines, control bytes,
 * malformed headers, "KEY: VALUE"), strips leading blanks (so no line is ever a libinih
 * continuation line) and handles section headers itself: libinih calls nothing for a section
 * without keys, and a [router r] must still declare its node. */
#include "scenario/scenario.h"
#include "scenario/scenario_parse_internal.h"
#include "scenario/scenario_values.h"

#include <errno.h>
#include <fcntl.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "umptcp/error.h"

/* ---- errors ---------------------------------------------------------------------------- */

int scn_fail(struct scn_pstate *st, int line, const char *fmt, ...)
{
    if (st->failed)
        return 0;
    st->failed = true;
    st->errline = line;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->msg, sizeof(st->msg), fmt, ap);
    va_end(ap);
    return 0;
}

int scn_fail_value(struct scn_pstate *st, const char *key, const char *value, const char *why)
{
    return scn_fail(st, st->lineno, "%s: %s '%s': %s", st->ctx, key, value, why);
}

bool scn_key_once(struct scn_pstate *st, size_t k, const char *key)
{
    if (st->keyline[k] != 0)
        return scn_fail(st, st->lineno, "%s: %s given twice (first on line %d)", st->ctx, key,
                        st->keyline[k]);
    st->keyline[k] = st->lineno;
    return true;
}

/* ---- sections -------------------------------------------------------------------------- */

static bool scn_section_end(struct scn_pstate *st)
{
    if (st->sec == SCN_SEC_HOST && !scn_host_end(st))
        return false;
    st->sec = SCN_SEC_NONE;
    return true;
}

/* A node, link or flow section's name: valid, unique, and room for one more. */
static bool scn_section_name_ok(struct scn_pstate *st, const char *kind, const char *name,
                                int other_line, size_t count, size_t max, const char *plural)
{
    if (!scn_name_valid(name))
        return scn_fail(st, st->lineno,
                        "[%s %s]: expected a name of 1 to 31 letters, digits, '-' or '_'", kind,
                        name);
    if (other_line > 0)
        return scn_fail(st, st->lineno, "[%s %s]: the name '%s' is already used (line %d)", kind,
                        name, name, other_line);
    if (count == max)
        return scn_fail(st, st->lineno, "[%s %s]: too many %s (at most %zu)", kind, name, plural,
                        max);
    return true;
}

static bool scn_begin_node(struct scn_pstate *st, enum scn_node_kind kind, const char *name)
{
    struct scn_scenario *s = st->s;
    const char *word = kind == SCN_NODE_HOST ? "host" : "router";
    int other = scn_find_node(s, name);
    if (!scn_section_name_ok(st, word, name, other >= 0 ? s->node[other].line : 0, s->nnode,
                             SCN_MAX_NODES, "hosts and routers"))
        return false;
    st->cur = s->nnode++;
    struct scn_node *nd = &s->node[st->cur];
    snprintf(nd->name, sizeof(nd->name), "%s", name);
    nd->kind = kind;
    nd->line = st->lineno;
    st->sec = kind == SCN_NODE_HOST ? SCN_SEC_HOST : SCN_SEC_ROUTER;
    st->nbackup = 0;
    return true;
}

static bool scn_begin_link(struct scn_pstate *st, const char *name)
{
    struct scn_scenario *s = st->s;
    int other = scn_find_link(s, name);
    if (!scn_section_name_ok(st, "link", name, other >= 0 ? s->link[other].line : 0, s->nlink,
                             SCN_MAX_LINKS, "links"))
        return false;
    st->cur = s->nlink++;
    struct scn_link *l = &s->link[st->cur];
    scn_link_defaults(l);
    snprintf(l->name, sizeof(l->name), "%.*s", SCN_NAME_MAX - 1, name);
    l->line = st->lineno;
    st->sec = SCN_SEC_LINK;
    return true;
}

static bool scn_begin_flow(struct scn_pstate *st, const char *name)
{
    struct scn_scenario *s = st->s;
    int other = -1;
    for (size_t i = 0; i < s->nflow; i++)
        if (strcmp(s->flow[i].name, name) == 0)
            other = (int)i;
    if (!scn_section_name_ok(st, "flow", name, other >= 0 ? s->flow[other].line : 0, s->nflow,
                             SCN_MAX_FLOWS, "flows"))
        return false;
    st->cur = s->nflow++;
    struct scn_flow *f = &s->flow[st->cur];
    scn_flow_defaults(f);
    snprintf(f->name, sizeof(f->name), "%.*s", SCN_NAME_MAX - 1, name);
    f->line = st->lineno;
    st->sec = SCN_SEC_FLOW;
    return true;
}

/* [scenario] and [events]: no name, at most once. */
static bool scn_begin_single(struct scn_pstate *st, const char *kind, const char *name,
                             int *seen_line, enum scn_sec sec)
{
    if (name[0] != '\0')
        return scn_fail(st, st->lineno, "[%s %s]: expected [%s] (without a name)", kind, name,
                        kind);
    if (*seen_line != 0)
        return scn_fail(st, st->lineno, "[%s] given twice (first on line %d)", kind, *seen_line);
    *seen_line = st->lineno;
    st->sec = sec;
    return true;
}

static bool scn_section_begin(struct scn_pstate *st, const char *kind, const char *name)
{
    if (!scn_section_end(st))
        return false;
    memset(st->keyline, 0, sizeof(st->keyline));
    bool ok;
    if (strcmp(kind, "scenario") == 0)
        ok = scn_begin_single(st, kind, name, &st->scenario_line, SCN_SEC_SCENARIO);
    else if (strcmp(kind, "events") == 0)
        ok = scn_begin_single(st, kind, name, &st->events_line, SCN_SEC_EVENTS);
    else if (strcmp(kind, "host") != 0 && strcmp(kind, "router") != 0 &&
             strcmp(kind, "link") != 0 && strcmp(kind, "flow") != 0)
        return scn_fail(st, st->lineno,
                        "unknown section [%s] (expected scenario, host, router, link, flow or "
                        "events)",
                        kind);
    else if (name[0] == '\0')
        return scn_fail(st, st->lineno, "[%s]: expected [%s NAME]", kind, kind);
    else if (strcmp(kind, "host") == 0)
        ok = scn_begin_node(st, SCN_NODE_HOST, name);
    else if (strcmp(kind, "router") == 0)
        ok = scn_begin_node(st, SCN_NODE_ROUTER, name);
    else if (strcmp(kind, "link") == 0)
        ok = scn_begin_link(st, name);
    else
        ok = scn_begin_flow(st, name);
    if (ok && (st->sec == SCN_SEC_SCENARIO || st->sec == SCN_SEC_EVENTS))
        snprintf(st->ctx, sizeof(st->ctx), "[%s]", kind);
    else if (ok)
        snprintf(st->ctx, sizeof(st->ctx), "%.8s '%.*s'", kind, SCN_NAME_MAX - 1, name);
    return ok;
}

static int scn_handler(void *user, const char *section, const char *key, const char *value)
{
    struct scn_pstate *st = user;
    (void)section; /* ours is in st (libinih's is never set: the reader hides headers) */
    if (st->failed)
        return 0;
    switch (st->sec) {
    case SCN_SEC_SCENARIO:
        return scn_scenario_key(st, key, value);
    case SCN_SEC_HOST:
        return scn_host_key(st, key, value);
    case SCN_SEC_ROUTER:
        return scn_fail(st, st->lineno, "%s: unknown key '%s' (a router has no keys)", st->ctx,
                        key);
    case SCN_SEC_LINK:
        return scn_link_key(st, key, value);
    case SCN_SEC_FLOW:
        return scn_flow_key(st, key, value);
    case SCN_SEC_EVENTS:
        return scn_event_key(st, key, value);
    case SCN_SEC_NONE:
        break;
    }
    return scn_fail(st, st->lineno, "'%s' outside any section (expected a [section] header first)",
                    key);
}

/* ---- the line reader ------------------------------------------------------------------- */

static bool scn_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* "[KIND NAME]" with an optional comment after it. */
static bool scn_header_line(struct scn_pstate *st, const char *line, size_t n)
{
    const char *close = memchr(line, ']', n);
    if (close == NULL)
        return scn_fail(st, st->lineno, "section header without ']'");
    const char *after = close + 1, *end = line + n;
    while (after < end && scn_blank(*after))
        after++;
    if (after < end && *after != ';' && *after != '#')
        return scn_fail(st, st->lineno, "unexpected text after the section header");
    char kind[SCN_LINE_MAX + 1], name[SCN_LINE_MAX + 1];
    const char *p = line + 1;
    while (p < close && scn_blank(*p))
        p++;
    size_t k = 0;
    while (p < close && !scn_blank(*p))
        kind[k++] = *p++;
    kind[k] = '\0';
    while (p < close && scn_blank(*p))
        p++;
    const char *q = close;
    while (q > p && scn_blank(q[-1]))
        q--;
    memcpy(name, p, (size_t)(q - p));
    name[q - p] = '\0';
    return scn_section_begin(st, kind, name);
}

/* KEY = VALUE: the first '=' comes before any ':' or inline comment, and KEY is not empty. */
static bool scn_key_line(struct scn_pstate *st, const char *line, size_t n)
{
    size_t i = 0;
    while (i < n && line[i] != '=' && line[i] != ':' &&
           !(line[i] == ';' && i > 0 && scn_blank(line[i - 1])))
        i++;
    if (i == n || line[i] != '=' || i == 0)
        return scn_fail(st, st->lineno, "expected 'KEY = VALUE', a [section] header or a comment");
    return true;
}

/* Control bytes other than tab (a NUL included) are not text. */
static bool scn_line_bytes_ok(struct scn_pstate *st, const char *line, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c == 0)
            return scn_fail(st, st->lineno, "NUL byte in the line");
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return scn_fail(st, st->lineno, "control character 0x%02x in the line", c);
    }
    return true;
}

/* Checks one line and passes libinih what it must see of it: a key line without its leading
 * blanks, or an empty line for blanks, comments and headers. */
static bool scn_read_line(struct scn_pstate *st, const char *line, size_t n, char *out, int outlen)
{
    if (n > 0 && line[n - 1] == '\r')
        n--;
    if (st->lineno == 1 && n >= 3 && memcmp(line, "\xEF\xBB\xBF", 3) == 0)
        line += 3, n -= 3; /* a UTF-8 byte order mark */
    if (n > SCN_LINE_MAX)
        return scn_fail(st, st->lineno, "line too long (%zu characters; at most %d)", n,
                        SCN_LINE_MAX);
    if (!scn_line_bytes_ok(st, line, n))
        return false;
    while (n > 0 && scn_blank(*line))
        line++, n--;
    while (n > 0 && scn_blank(line[n - 1]))
        n--;
    out[0] = '\0';
    if (n == 0 || line[0] == '#' || line[0] == ';')
        return true;
    if (line[0] == '[')
        return scn_header_line(st, line, n);
    if (!scn_key_line(st, line, n))
        return false;
    if ((size_t)outlen <= n)
        return scn_fail(st, st->lineno, "line too long for the INI reader");
    memcpy(out, line, n);
    out[n] = '\0';
    return true;
}

static char *scn_reader(char *str, int num, void *stream)
{
    struct scn_pstate *st = stream;
    if (st->failed || st->pos >= st->len || num <= 0)
        return NULL;
    const char *line = st->buf + st->pos;
    const char *nl = memchr(line, '\n', st->len - st->pos);
    size_t n = nl != NULL ? (size_t)(nl - line) : st->len - st->pos;
    st->pos += n + (nl != NULL ? 1 : 0);
    st->lineno++;
    return scn_read_line(st, line, n, str, num) ? str : NULL;
}

/* ---- entry points ---------------------------------------------------------------------- */

/* The base name of origin without its extension, made a valid name. */
static void scn_default_name(const char *origin, char *out, size_t outlen)
{
    const char *base = strrchr(origin, '/');
    base = base != NULL ? base + 1 : origin;
    const char *dot = strrchr(base, '.');
    size_t n = dot != NULL && dot != base ? (size_t)(dot - base) : strlen(base);
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < outlen && k < SCN_NAME_MAX - 1; i++) {
        char c = base[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_';
        out[k++] = ok ? c : '_';
    }
    out[k] = '\0';
    if (k == 0)
        snprintf(out, outlen, "scenario");
}

static void scn_init(struct scn_scenario *s, const char *origin)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->source, sizeof(s->source), "%s", origin);
    scn_default_name(origin, s->name, sizeof(s->name));
    s->duration_ns = SCN_DEFAULT_DURATION_NS;
    s->seed = 1;
}

static int scn_report(struct scn_pstate *st, char *err, size_t errlen)
{
    if (err != NULL && errlen > 0) {
        if (st->errline > 0)
            snprintf(err, errlen, "%s:%d: %s", st->origin, st->errline, st->msg);
        else
            snprintf(err, errlen, "%s: %s", st->origin, st->msg);
    }
    return UMPTCP_ERR_INVAL;
}

static int scn_parse_buf(const char *buf, size_t len, const char *origin, struct scn_scenario *out,
                         char *err, size_t errlen)
{
    if (err != NULL && errlen > 0)
        err[0] = '\0';
    scn_init(out, origin);
    struct scn_pstate *st = calloc(1, sizeof(*st));
    if (st == NULL) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: out of memory", origin);
        return UMPTCP_ERR_NOMEM;
    }
    st->s = out;
    st->origin = origin;
    st->buf = buf;
    st->len = len;
    if (len > SCN_FILE_MAX)
        scn_fail(st, 0, "too large (%zu bytes; at most %u)", len, SCN_FILE_MAX);
    int rc = st->failed ? 0 : ini_parse_stream(scn_reader, st, scn_handler, st);
    if (!st->failed && rc != 0)
        scn_fail(st, rc > 0 ? rc : 0, "the INI reader failed (%d)", rc);
    if (!st->failed && scn_section_end(st))
        scn_validate(st);
    rc = st->failed ? scn_report(st, err, errlen) : 0;
    free(st);
    if (rc != 0)
        scn_init(out, origin); /* nothing half-parsed is left */
    return rc;
}

int scn_parse_text(const char *text, const char *origin, struct scn_scenario *out, char *err,
                   size_t errlen)
{
    if (origin == NULL)
        origin = "scenario";
    return scn_parse_buf(text != NULL ? text : "", text != NULL ? strlen(text) : 0, origin, out,
                         err, errlen);
}

/* Reads at most SCN_FILE_MAX + 1 bytes of fd into a new buffer. */
static int scn_read_fd(int fd, char **buf, size_t *len)
{
    size_t cap = SCN_FILE_MAX + 1, n = 0;
    char *b = malloc(cap);
    if (b == NULL)
        return ENOMEM;
    while (n < cap) {
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(b);
            return e;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *buf = b;
    *len = n;
    return 0;
}

int scn_parse_file(const char *path, struct scn_scenario *out, char *err, size_t errlen)
{
    scn_init(out, path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    int e = fd < 0 ? errno : fstat(fd, &sb) != 0 ? errno : S_ISDIR(sb.st_mode) ? EISDIR : 0;
    char *buf = NULL;
    size_t len = 0;
    if (e == 0)
        e = scn_read_fd(fd, &buf, &len);
    if (fd >= 0)
        close(fd);
    if (e != 0) {
        if (err != NULL && errlen > 0)
            snprintf(err, errlen, "%s: cannot read: %s", path, strerror(e));
        return e == ENOENT ? UMPTCP_ERR_NOTFOUND : UMPTCP_ERR_IO;
    }
    int rc = scn_parse_buf(buf, len, path, out, err, errlen);
    free(buf);
    return rc;
}
