/* libFuzzer target: TCP option blocks and single MPTCP options.
 * The input is parsed as a TCP option block; every MPTCP span it yields, and the raw input
 * itself, go through wire_mptcp_parse. Whatever parses (or parses with only a version/flags
 * complaint, where the struct is still filled) is written back and parsed again: the struct
 * and the verdict must be the same, and writing it again must give the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "umptcp/error.h"
#include "wire/mptcp_opt.h"
#include "wire/tcp_opt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_roundtrip(const uint8_t *opt, size_t len)
{
    struct wire_mptcp_opt a, b;
    int ra = wire_mptcp_parse(opt, len, &a);
    if (ra > 0 && (ra < 3 || (size_t)ra > len || ra != opt[1]))
        abort(); /* success must report the option's own Length */
    if (ra < 0 && ra != UMPTCP_ERR_BAD_VERSION && ra != UMPTCP_ERR_BAD_FLAGS)
        return;

    uint8_t buf[WIRE_MPTCP_MAX_LEN], again[WIRE_MPTCP_MAX_LEN];
    int n = wire_mptcp_write(&a, buf, sizeof(buf));
    if (n < 3)
        abort(); /* every parsed struct must be writable */
    if (ra > 0 && n != ra)
        abort(); /* a successful parse keeps its Length */

    int rb = wire_mptcp_parse(buf, (size_t)n, &b);
    if (rb != (ra > 0 ? n : ra))
        abort();
    if (!wire_mptcp_equal(&a, &b) || !wire_mptcp_equal(&b, &a))
        abort();
    if (wire_mptcp_write(&b, again, sizeof(again)) != n || memcmp(buf, again, (size_t)n) != 0)
        abort();

    char line[WIRE_MPTCP_FORMAT_MAX];
    if (wire_mptcp_format(&a, line, sizeof(line)) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct wire_tcp_options opts;
    /* On error the struct still holds the options before the bad one. */
    (void)wire_tcp_options_parse(data, size, &opts);
    for (unsigned i = 0; i < opts.mptcp_count && i < WIRE_MAX_MPTCP_OPTS; i++) {
        const struct wire_opt_span *s = &opts.mptcp[i];
        if (s->data < data || s->data + s->len > data + size)
            abort(); /* spans must point inside the input */
        check_roundtrip(s->data, s->len);
    }
    check_roundtrip(data, size);
    return 0;
}
