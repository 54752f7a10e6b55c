#include "host/syserr.h"

#include <errno.h>

#include "umptcp/error.h"

int host_err_from_errno(int e)
{
    switch (e) {
    case EPERM:
    case EACCES:
        return UMPTCP_ERR_PERM;
    case EAGAIN:
        return UMPTCP_ERR_AGAIN; /* EWOULDBLOCK is the same value on Linux */
    case ENOENT:
    case ENODEV:
    case ENXIO:
        return UMPTCP_ERR_NOTFOUND;
    case EEXIST:
    case EBUSY:
        return UMPTCP_ERR_EXISTS;
    case EINVAL:
    case EBADF:
    case ENAMETOOLONG:
        return UMPTCP_ERR_INVAL;
    case ENOMEM:
    case ENOBUFS:
    case EMFILE:
    case ENFILE:
        return UMPTCP_ERR_NOMEM;
    case EMSGSIZE:
        return UMPTCP_ERR_NOSPACE;
    default:
        return UMPTCP_ERR_IO;
    }
}
