/* A tiny streaming JSON writer (RFC 8259) for the scenario results file (prefix scn_json_).
 *
 * Values are written in document order; the writer adds commas, two-space indentation and
 * quotes. Strings are escaped (quote, backslash, control characters; bytes that are not valid
 * UTF-8 become U+FFFD), so the output is valid JSON whatever the text. Numbers are written
 * with a fixed format so the same values always give the same bytes. Misuse (a value where a
 * key is due, unbalanced or too deep nesting) and write errors are remembered and reported by
 * scn_json_finish. */
#ifndef UMPTCP_TOOLS_SCENARIO_JSON_H
#define UMPTCP_TOOLS_SCENARIO_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define SCN_JSON_MAX_DEPTH 12

struct scn_json {
    FILE *f;
    int depth;
    bool is_object[SCN_JSON_MAX_DEPTH]; /* per open level: object or array */
    bool has_items[SCN_JSON_MAX_DEPTH];
    bool key_due; /* a key was written; its value comes next */
    bool failed;
};

void scn_json_init(struct scn_json *w, FILE *f);
void scn_json_begin_object(struct scn_json *w);
void scn_json_end_object(struct scn_json *w);
void scn_json_begin_array(struct scn_json *w);
void scn_json_end_array(struct scn_json *w);
void scn_json_key(struct scn_json *w, const char *key);
void scn_json_string(struct scn_json *w, const char *s); /* NULL: null */
void scn_json_uint(struct scn_json *w, uint64_t v);
void scn_json_bool(struct scn_json *w, bool v);
void scn_json_null(struct scn_json *w);
/* v with `decimals` digits after the point (at most 9), never in exponent form and always with
 * a '.' whatever the locale; NaN and infinities (not JSON) become null. */
void scn_json_double(struct scn_json *w, double v, int decimals);
/* ns as seconds with exactly `decimals` digits (1..9), truncated, by integer arithmetic. */
void scn_json_seconds(struct scn_json *w, uint64_t ns, int decimals);
/* Ends the document with a newline: 0, or -1 after misuse or a write error. */
int scn_json_finish(struct scn_json *w);

/* Shortcuts for an object member: the key then the value. */
void scn_json_kstring(struct scn_json *w, const char *key, const char *s);
void scn_json_kuint(struct scn_json *w, const char *key, uint64_t v);
void scn_json_kbool(struct scn_json *w, const char *key, bool v);
void scn_json_kdouble(struct scn_json *w, const char *key, double v, int decimals);

/* Formats ns as seconds with `decimals` digits (1..9, truncated) into buf: the text, or ""
 * when it does not fit. Shared with the CSV writer. */
const char *scn_fmt_seconds(char *buf, size_t len, uint64_t ns, int decimals);
/* Formats v with %.*f and replaces a locale's decimal comma by '.'; "" for NaN or infinity. */
const char *scn_fmt_double(char *buf, size_t len, double v, int decimals);

#endif
