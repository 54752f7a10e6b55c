/* The scenario results' JSON writer (scenario_json.h). */
#include "scenario/scenario_json.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

void scn_json_init(struct scn_json *w, FILE *f)
{
    memset(w, 0, sizeof(*w));
    w->f = f;
}

static void put(struct scn_json *w, const char *s)
{
    if (fputs(s, w->f) == EOF)
        w->failed = true;
}

static void newline_indent(struct scn_json *w)
{
    put(w, "\n");
    for (int i = 0; i < w->depth; i++)
        put(w, "  ");
}

/* Before any value or key: where it may go, and the comma and indentation it needs. A value
 * inside an object must follow its key; a key must not. */
static bool begin_item(struct scn_json *w, bool is_key)
{
    if (w->failed)
        return false;
    if (w->depth == 0) {
        if (is_key)
            w->failed = true;
        return !w->failed;
    }
    int top = w->depth - 1;
    if (w->is_object[top] && !is_key) {
        if (!w->key_due)
            w->failed = true;
        w->key_due = false;
        return !w->failed;
    }
    if (is_key && (!w->is_object[top] || w->key_due)) {
        w->failed = true;
        return false;
    }
    if (w->has_items[top])
        put(w, ",");
    w->has_items[top] = true;
    newline_indent(w);
    if (is_key)
        w->key_due = true;
    return !w->failed;
}

static void open_level(struct scn_json *w, bool object)
{
    if (!begin_item(w, false))
        return;
    if (w->depth == SCN_JSON_MAX_DEPTH) {
        w->failed = true;
        return;
    }
    put(w, object ? "{" : "[");
    w->is_object[w->depth] = object;
    w->has_items[w->depth] = false;
    w->depth++;
}

static void close_level(struct scn_json *w, bool object)
{
    if (w->failed)
        return;
    if (w->depth == 0 || w->is_object[w->depth - 1] != object || w->key_due) {
        w->failed = true;
        return;
    }
    w->depth--;
    if (w->has_items[w->depth])
        newline_indent(w);
    put(w, object ? "}" : "]");
}

void scn_json_begin_object(struct scn_json *w)
{
    open_level(w, true);
}

void scn_json_end_object(struct scn_json *w)
{
    close_level(w, true);
}

void scn_json_begin_array(struct scn_json *w)
{
    open_level(w, false);
}

void scn_json_end_array(struct scn_json *w)
{
    close_level(w, false);
}

/* Length of the well-formed UTF-8 sequence starting at s (RFC 3629 section 4), 0 if none. */
static size_t utf8_seq_len(const unsigned char *s)
{
    size_t n;
    unsigned char min = 0x80, max = 0xbf; /* range of the byte after the lead */
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4;
    else
        return 0;
    if (s[0] == 0xe0)
        min = 0xa0; /* overlong */
    else if (s[0] == 0xed)
        max = 0x9f; /* surrogates */
    else if (s[0] == 0xf0)
        min = 0x90; /* overlong */
    else if (s[0] == 0xf4)
        max = 0x8f; /* above U+10FFFF */
    if (s[1] < min || s[1] > max)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (s[i] < 0x80 || s[i] > 0xbf)
            return 0; /* also stops at the terminating NUL */
    return n;
}

/* The escape for byte c, or NULL when it is written as it is. */
static const char *escape_of(unsigned char c, char buf[8])
{
    switch (c) {
    case '"':
        return "\\\"";
    case '\\':
        return "\\\\";
    case '\n':
        return "\\n";
    case '\r':
        return "\\r";
    case '\t':
        return "\\t";
    default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
        snprintf(buf, 8, "\\u%04x", c);
        return buf;
    }
    return NULL;
}

static void put_escaped(struct scn_json *w, const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    put(w, "\"");
    while (*s != 0) {
        char buf[8];
        if (*s >= 0x80) {
            size_t n = utf8_seq_len(s);
            if (n == 0) {
                put(w, "\\ufffd");
                s++;
                continue;
            }
            if (fwrite(s, 1, n, w->f) != n)
                w->failed = true;
            s += n;
            continue;
        }
        const char *esc = escape_of(*s, buf);
        if (esc != NULL) {
            put(w, esc);
        } else if (fputc(*s, w->f) == EOF) {
            w->failed = true;
        }
        s++;
    }
    put(w, "\"");
}

void scn_json_key(struct scn_json *w, const char *key)
{
    if (!begin_item(w, true))
        return;
    put_escaped(w, key);
    put(w, ": ");
}

void scn_json_string(struct scn_json *w, const char *s)
{
    if (s == NULL) {
        scn_json_null(w);
        return;
    }
    if (begin_item(w, false))
        put_escaped(w, s);
}

void scn_json_uint(struct scn_json *w, uint64_t v)
{
    char buf[24];
    snprintf(buf, sizeof(buf), "%" PRIu64, v);
    if (begin_item(w, false))
        put(w, buf);
}

void scn_json_bool(struct scn_json *w, bool v)
{
    if (begin_item(w, false))
        put(w, v ? "true" : "false");
}

void scn_json_null(struct scn_json *w)
{
    if (begin_item(w, false))
        put(w, "null");
}

const char *scn_fmt_double(char *buf, size_t len, double v, int decimals)
{
    if (len == 0)
        return "";
    buf[0] = 0;
    if (!isfinite(v))
        return buf;
    if (decimals < 0)
        decimals = 0;
    if (decimals > 9)
        decimals = 9;
    if (v == 0)
        v = 0; /* no "-0.000" */
    int n = snprintf(buf, len, "%.*f", decimals, v);
    if (n < 0 || (size_t)n >= len) {
        buf[0] = 0;
        return buf;
    }
    for (char *p = buf; *p != 0; p++)
        if (*p == ',')
            *p = '.';
    return buf;
}

const char *scn_fmt_seconds(char *buf, size_t len, uint64_t ns, int decimals)
{
    static const uint64_t div[10] = {1000000000, 100000000, 10000000, 1000000, 100000,
                                     10000,      1000,      100,      10,      1};
    if (decimals < 1)
        decimals = 1;
    if (decimals > 9)
        decimals = 9;
    uint64_t frac = (ns % 1000000000u) / div[decimals];
    int n = snprintf(buf, len, "%" PRIu64 ".%0*" PRIu64, ns / 1000000000u, decimals, frac);
    if (n < 0 || (size_t)n >= len)
        buf[0] = 0;
    return buf;
}

void scn_json_double(struct scn_json *w, double v, int decimals)
{
    char buf[64];
    scn_fmt_double(buf, sizeof(buf), v, decimals);
    if (buf[0] == 0) {
        scn_json_null(w);
        return;
    }
    if (begin_item(w, false))
        put(w, buf);
}

void scn_json_seconds(struct scn_json *w, uint64_t ns, int decimals)
{
    char buf[40];
    scn_fmt_seconds(buf, sizeof(buf), ns, decimals);
    if (begin_item(w, false))
        put(w, buf);
}

int scn_json_finish(struct scn_json *w)
{
    if (w->depth != 0 || w->key_due)
        w->failed = true;
    put(w, "\n");
    if (fflush(w->f) == EOF || ferror(w->f))
        w->failed = true;
    return w->failed ? -1 : 0;
}

void scn_json_kstring(struct scn_json *w, const char *key, const char *s)
{
    scn_json_key(w, key);
    scn_json_string(w, s);
}

void scn_json_kuint(struct scn_json *w, const char *key, uint64_t v)
{
    scn_json_key(w, key);
    scn_json_uint(w, v);
}

void scn_json_kbool(struct scn_json *w, const char *key, bool v)
{
    scn_json_key(w, key);
    scn_json_bool(w, v);
}

void scn_json_kdouble(struct scn_json *w, const char *key, double v, int decimals)
{
    scn_json_key(w, key);
    scn_json_double(w, v, decimals);
}
