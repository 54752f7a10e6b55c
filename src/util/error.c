#include "umptcp/error.h"
#include "umptcp/version.h"

const char *umptcp_strerror(int err)
{
    switch ((enum umptcp_error)err) {
    case UMPTCP_OK:
        return "success";
    case UMPTCP_ERR_INVAL:
        return "invalid argument";
    case UMPTCP_ERR_NOMEM:
        return "out of memory or configured limit reached";
    case UMPTCP_ERR_TRUNCATED:
        return "input truncated";
    case UMPTCP_ERR_BAD_VERSION:
        return "unsupported version";
    case UMPTCP_ERR_BAD_LENGTH:
        return "bad length field";
    case UMPTCP_ERR_BAD_CHECKSUM:
        return "bad checksum";
    case UMPTCP_ERR_UNSUPPORTED:
        return "not supported";
    case UMPTCP_ERR_NOSPACE:
        return "does not fit";
    case UMPTCP_ERR_BAD_SUBTYPE:
        return "unknown option subtype";
    case UMPTCP_ERR_BAD_FLAGS:
        return "invalid flags";
    case UMPTCP_ERR_PERM:
        return "operation not permitted";
    case UMPTCP_ERR_IO:
        return "I/O error";
    case UMPTCP_ERR_AGAIN:
        return "try again";
    case UMPTCP_ERR_NOTFOUND:
        return "not found";
    case UMPTCP_ERR_EXISTS:
        return "already exists";
    case UMPTCP_ERR_PROTO:
        return "wrong protocol";
    case UMPTCP_ERR_RESET:
        return "connection reset by peer";
    case UMPTCP_ERR_TIMEOUT:
        return "connection timed out";
    case UMPTCP_ERR_REFUSED:
        return "connection refused";
    case UMPTCP_ERR_ADDRINUSE:
        return "address in use";
    case UMPTCP_ERR_NOROUTE:
        return "no route to host";
    case UMPTCP_ERR_ABORTED:
        return "connection aborted";
    case UMPTCP_ERR_STATE:
        return "invalid state";
    }
    return "unknown error";
}

const char *umptcp_version(void)
{
    return UMPTCP_VERSION_STRING;
}
