/* Error codes of umptcp: every failing call returns one of these (negative). */
#ifndef UMPTCP_ERROR_H
#define UMPTCP_ERROR_H

#include "umptcp/export.h"

#ifdef __cplusplus
extern "C" {
#endif

enum umptcp_error {
    UMPTCP_OK = 0,
    UMPTCP_ERR_INVAL = -1,        /* invalid argument */
    UMPTCP_ERR_NOMEM = -2,        /* allocation failed or configured bound reached */
    UMPTCP_ERR_TRUNCATED = -3,    /* input ends before a header or length says it should */
    UMPTCP_ERR_BAD_VERSION = -4,  /* unknown IP or protocol version */
    UMPTCP_ERR_BAD_LENGTH = -5,   /* a length field is impossible or inconsistent */
    UMPTCP_ERR_BAD_CHECKSUM = -6, /* checksum does not verify */
    UMPTCP_ERR_UNSUPPORTED = -7,  /* well-formed but not handled (e.g. IP fragment) */
    UMPTCP_ERR_NOSPACE = -8,      /* output does not fit (buffer or 40-byte option space) */
    UMPTCP_ERR_BAD_SUBTYPE = -9,  /* unknown MPTCP option subtype */
    UMPTCP_ERR_BAD_FLAGS = -10,   /* flag combination not allowed */
    UMPTCP_ERR_PERM = -11,        /* operation not permitted (e.g. TUN without CAP_NET_ADMIN) */
    UMPTCP_ERR_IO = -12,          /* system I/O error */
    UMPTCP_ERR_AGAIN = -13,       /* would block; try again later */
    UMPTCP_ERR_NOTFOUND = -14,    /* no such object */
    UMPTCP_ERR_EXISTS = -15,      /* object already exists */
    UMPTCP_ERR_PROTO = -16,       /* not the expected protocol (e.g. IP payload not TCP) */
    UMPTCP_ERR_STATE = -17,       /* call not valid in the object's current state */
    UMPTCP_ERR_RESET = -18,       /* the connection was reset by the peer */
    UMPTCP_ERR_TIMEOUT = -19,     /* the connection timed out (retransmissions exhausted) */
    UMPTCP_ERR_REFUSED = -20,     /* the peer refused the connection (RST to our SYN) */
    UMPTCP_ERR_ADDRINUSE = -21,   /* local address and port already in use */
    UMPTCP_ERR_NOROUTE = -22,     /* no local address/interface can reach the destination */
    UMPTCP_ERR_ABORTED = -23,     /* the connection was aborted locally */
};

/* The most negative error code (for iterating over all of them). */
#define UMPTCP_ERR_LAST UMPTCP_ERR_ABORTED

/* A short English description of an error code; never NULL. */
UMPTCP_API const char *umptcp_strerror(int err);

#ifdef __cplusplus
}
#endif
#endif
