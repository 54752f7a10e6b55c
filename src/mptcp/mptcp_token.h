/* The stack-wide table of local MPTCP tokens (RFC 8684 3.1, 3.2): token -> (key, connection).
 *
 * One table per stack. It gives every MPTCP connection its local key: RFC 8684 3.1 says the
 * key MUST be unique among the host's connections and that an implementation checks that the
 * token does not collide before using it. mptcp_token_new_key() draws a random 64-bit key from
 * the caller's randomness callback, derives token = the top 32 bits of SHA-256(key), and draws
 * again while that token is already in use, up to a bounded number of attempts. A unique token
 * implies a unique key (equal keys give equal tokens). MP_JOIN SYNs carry the receiver's token:
 * mptcp_token_lookup() finds the connection they join.
 *
 * Structure: open addressing with linear probing over a power-of-two slot array, load factor
 * at most 1/2, deletion by backward shift (no tombstones, so lookups never degrade over time).
 * The slot index is the token's low bits, without a secret seed: every stored token is the
 * SHA-256 output of a key this host drew at random, so stored tokens are uniformly spread and
 * the peer cannot choose them; a peer only chooses the tokens it LOOKS UP (MP_JOIN), and a
 * lookup costs the length of the cluster it lands in, which stays O(1) on average for uniform
 * contents at load <= 1/2. (A stateless server deriving keys from a hash of the 4-tuple and a
 * local secret, RFC 8684 3.1, keeps this property because the token is still a SHA-256 output.)
 *
 * Memory: the slot array starts small and doubles on demand; the entry count is bounded by
 * max_entries (then UMPTCP_ERR_NOMEM). Every allocation failure leaves the table unchanged.
 * Sans-IO: randomness comes only from the callback; no globals. */
#ifndef UMPTCP_MPTCP_MPTCP_TOKEN_H
#define UMPTCP_MPTCP_MPTCP_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Draws a fresh key this many times at most before giving up (UMPTCP_ERR_EXISTS). With a
 * table of n tokens, one attempt collides with probability n / 2^32. */
#define MPTCP_TOKEN_DEFAULT_ATTEMPTS 16
/* The largest allowed max_entries (the slot array stays below 2^23 slots). */
#define MPTCP_TOKEN_MAX_ENTRIES (1u << 22)

/* Same shape as umptcp_callbacks.random: fills buf with n unpredictable bytes. */
typedef void (*mptcp_token_random_fn)(void *user, uint8_t *buf, size_t n);

struct mptcp_token_slot {
    uint64_t key;
    void *conn;
    uint32_t token;
    bool used;
};

struct mptcp_token_table {
    struct mptcp_token_slot *slots; /* NULL until the first insert */
    size_t nslots;                  /* 0 or a power of two */
    size_t count;
    size_t max_entries;
    unsigned max_attempts;
    /* Lifetime counters. */
    uint64_t collisions; /* drawn keys whose token was already in use */
};

/* Empty table for up to max_entries tokens (1 .. MPTCP_TOKEN_MAX_ENTRIES); max_attempts 0
 * means MPTCP_TOKEN_DEFAULT_ATTEMPTS. Allocates nothing. UMPTCP_ERR_INVAL for bad values. */
int mptcp_token_init(struct mptcp_token_table *t, size_t max_entries, unsigned max_attempts);
void mptcp_token_destroy(struct mptcp_token_table *t);

/* RFC 8684 3.1: draws a key whose token is not in use, stores token -> (key, conn) and returns
 * both. conn may be NULL (a key reserved for a SYN/ACK before the connection object exists;
 * fill it in with mptcp_token_set_conn()). Errors, with the table unchanged:
 * UMPTCP_ERR_INVAL (NULL t/random/key_out), UMPTCP_ERR_NOMEM (max_entries reached or the
 * slot array could not grow), UMPTCP_ERR_EXISTS (every attempt drew a token in use). */
int mptcp_token_new_key(struct mptcp_token_table *t, mptcp_token_random_fn random, void *user,
                        void *conn, uint64_t *key_out, uint32_t *token_out);

/* Stores a key chosen by the caller (e.g. derived statelessly). token_out may be NULL.
 * UMPTCP_ERR_EXISTS when its token is in use; otherwise as mptcp_token_new_key(). */
int mptcp_token_insert(struct mptcp_token_table *t, uint64_t key, void *conn, uint32_t *token_out);

/* The connection owning token, or NULL when unknown (or when it is reserved with a NULL conn:
 * use mptcp_token_find() to tell the two apart). */
void *mptcp_token_lookup(const struct mptcp_token_table *t, uint32_t token);
/* Finds token; key and conn may be NULL. UMPTCP_ERR_NOTFOUND when it is not in the table. */
int mptcp_token_find(const struct mptcp_token_table *t, uint32_t token, uint64_t *key, void **conn);
/* Changes the connection stored for token. UMPTCP_ERR_NOTFOUND when absent. */
int mptcp_token_set_conn(struct mptcp_token_table *t, uint32_t token, void *conn);
/* Removes token (when its connection is freed). UMPTCP_ERR_NOTFOUND when absent. Never
 * allocates; the slot array is not shrunk. */
int mptcp_token_remove(struct mptcp_token_table *t, uint32_t token);

static inline size_t mptcp_token_count(const struct mptcp_token_table *t)
{
    return t->count;
}

#endif
