#include "umptcp/addr.h"
#include "umptcp/error.h"

#include <arpa/inet.h>
#include <string.h>

size_t umptcp_addr_len(const umptcp_addr *a)
{
    switch (a->family) {
    case UMPTCP_AF_INET:
        return 4;
    case UMPTCP_AF_INET6:
        return 16;
    default:
        return 0;
    }
}

bool umptcp_addr_equal(const umptcp_addr *a, const umptcp_addr *b)
{
    return a->family == b->family && memcmp(a->bytes, b->bytes, umptcp_addr_len(a)) == 0;
}

int umptcp_addr_parse(umptcp_addr *out, const char *text)
{
    memset(out, 0, sizeof(*out));
    if (text == NULL)
        return UMPTCP_ERR_INVAL;
    if (inet_pton(AF_INET, text, out->bytes) == 1) {
        out->family = UMPTCP_AF_INET;
        return UMPTCP_OK;
    }
    if (inet_pton(AF_INET6, text, out->bytes) == 1) {
        out->family = UMPTCP_AF_INET6;
        return UMPTCP_OK;
    }
    memset(out, 0, sizeof(*out));
    return UMPTCP_ERR_INVAL;
}

const char *umptcp_addr_format(const umptcp_addr *a, char *buf, size_t buflen)
{
    if (buflen == 0)
        return buf;
    buf[0] = '\0';
    if (a->family == UMPTCP_AF_INET)
        inet_ntop(AF_INET, a->bytes, buf, (socklen_t)buflen);
    else if (a->family == UMPTCP_AF_INET6)
        inet_ntop(AF_INET6, a->bytes, buf, (socklen_t)buflen);
    return buf;
}
