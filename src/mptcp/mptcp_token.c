/* The stack-wide local token table (RFC 8684 3.1/3.2): open addressing with linear probing,
 * backward-shift deletion, growth by doubling. See mptcp_token.h for the hashing argument. */
#include "mptcp/mptcp_token.h"

#include "crypto/mptcp_crypto.h"
#include "umptcp/error.h"
#include "util/bytes.h"

#include <stdlib.h>
#include <string.h>

#define MPTCP_TOKEN_MIN_SLOTS 16

static size_t token_home(size_t nslots, uint32_t token)
{
    /* Tokens are SHA-256 outputs of keys drawn at random: the low bits are uniform. */
    return (size_t)token & (nslots - 1);
}

/* Slot holding token, or nslots when absent. */
static size_t token_slot_of(const struct mptcp_token_table *t, uint32_t token)
{
    if (t->nslots == 0)
        return 0;
    size_t mask = t->nslots - 1;
    for (size_t i = token_home(t->nslots, token);; i = (i + 1) & mask) {
        const struct mptcp_token_slot *s = &t->slots[i];
        if (!s->used)
            return t->nslots;
        if (s->token == token)
            return i;
    }
}

static void token_place(struct mptcp_token_slot *slots, size_t nslots,
                        const struct mptcp_token_slot *e)
{
    size_t mask = nslots - 1;
    size_t i = token_home(nslots, e->token);
    while (slots[i].used)
        i = (i + 1) & mask;
    slots[i] = *e;
}

/* Makes room for one more entry at load <= 1/2. */
static int token_reserve(struct mptcp_token_table *t)
{
    if (t->count >= t->max_entries)
        return UMPTCP_ERR_NOMEM;
    if ((t->count + 1) * 2 <= t->nslots)
        return UMPTCP_OK;
    size_t n = t->nslots ? t->nslots * 2 : MPTCP_TOKEN_MIN_SLOTS;
    struct mptcp_token_slot *slots = calloc(n, sizeof(*slots));
    if (slots == NULL)
        return UMPTCP_ERR_NOMEM;
    for (size_t i = 0; i < t->nslots; i++)
        if (t->slots[i].used)
            token_place(slots, n, &t->slots[i]);
    free(t->slots);
    t->slots = slots;
    t->nslots = n;
    return UMPTCP_OK;
}

int mptcp_token_init(struct mptcp_token_table *t, size_t max_entries, unsigned max_attempts)
{
    if (t == NULL || max_entries == 0 || max_entries > MPTCP_TOKEN_MAX_ENTRIES)
        return UMPTCP_ERR_INVAL;
    memset(t, 0, sizeof(*t));
    t->max_entries = max_entries;
    t->max_attempts = max_attempts ? max_attempts : MPTCP_TOKEN_DEFAULT_ATTEMPTS;
    return UMPTCP_OK;
}

void mptcp_token_destroy(struct mptcp_token_table *t)
{
    if (t == NULL)
        return;
    free(t->slots);
    t->slots = NULL;
    t->nslots = 0;
    t->count = 0;
}

static void token_store(struct mptcp_token_table *t, uint32_t token, uint64_t key, void *conn)
{
    struct mptcp_token_slot e = {.key = key, .conn = conn, .token = token, .used = true};
    token_place(t->slots, t->nslots, &e);
    t->count++;
}

int mptcp_token_insert(struct mptcp_token_table *t, uint64_t key, void *conn, uint32_t *token_out)
{
    if (t == NULL)
        return UMPTCP_ERR_INVAL;
    uint32_t token = mptcp_crypto_token(key);
    if (token_slot_of(t, token) < t->nslots)
        return UMPTCP_ERR_EXISTS;
    int rc = token_reserve(t);
    if (rc != UMPTCP_OK)
        return rc;
    token_store(t, token, key, conn);
    if (token_out != NULL)
        *token_out = token;
    return UMPTCP_OK;
}

int mptcp_token_new_key(struct mptcp_token_table *t, mptcp_token_random_fn random, void *user,
                        void *conn, uint64_t *key_out, uint32_t *token_out)
{
    if (t == NULL || random == NULL || key_out == NULL)
        return UMPTCP_ERR_INVAL;
    /* Reserve first, so a full table costs no randomness and no hashing. */
    int rc = token_reserve(t);
    if (rc != UMPTCP_OK)
        return rc;
    for (unsigned attempt = 0; attempt < t->max_attempts; attempt++) {
        uint8_t buf[8];
        random(user, buf, sizeof(buf));
        uint64_t key = be64_get(buf);
        uint32_t token = mptcp_crypto_token(key);
        /* RFC 8684 3.1: the key must be unique among our connections; check the token. */
        if (token_slot_of(t, token) < t->nslots) {
            t->collisions++;
            continue;
        }
        token_store(t, token, key, conn);
        *key_out = key;
        if (token_out != NULL)
            *token_out = token;
        return UMPTCP_OK;
    }
    return UMPTCP_ERR_EXISTS;
}

int mptcp_token_find(const struct mptcp_token_table *t, uint32_t token, uint64_t *key, void **conn)
{
    if (t == NULL)
        return UMPTCP_ERR_NOTFOUND;
    size_t i = token_slot_of(t, token);
    if (i >= t->nslots)
        return UMPTCP_ERR_NOTFOUND;
    if (key != NULL)
        *key = t->slots[i].key;
    if (conn != NULL)
        *conn = t->slots[i].conn;
    return UMPTCP_OK;
}

void *mptcp_token_lookup(const struct mptcp_token_table *t, uint32_t token)
{
    void *conn = NULL;
    if (mptcp_token_find(t, token, NULL, &conn) != UMPTCP_OK)
        return NULL;
    return conn;
}

int mptcp_token_set_conn(struct mptcp_token_table *t, uint32_t token, void *conn)
{
    if (t == NULL)
        return UMPTCP_ERR_NOTFOUND;
    size_t i = token_slot_of(t, token);
    if (i >= t->nslots)
        return UMPTCP_ERR_NOTFOUND;
    t->slots[i].conn = conn;
    return UMPTCP_OK;
}

/* Backward-shift deletion: pull later members of the cluster into the hole when their home
 * slot does not lie cyclically in (hole, j]. */
int mptcp_token_remove(struct mptcp_token_table *t, uint32_t token)
{
    if (t == NULL)
        return UMPTCP_ERR_NOTFOUND;
    size_t hole = token_slot_of(t, token);
    if (hole >= t->nslots)
        return UMPTCP_ERR_NOTFOUND;
    size_t mask = t->nslots - 1;
    for (size_t j = (hole + 1) & mask; t->slots[j].used; j = (j + 1) & mask) {
        size_t home = token_home(t->nslots, t->slots[j].token);
        bool stays = ((j - home) & mask) < ((j - hole) & mask);
        if (!stays) {
            t->slots[hole] = t->slots[j];
            hole = j;
        }
    }
    memset(&t->slots[hole], 0, sizeof(t->slots[hole]));
    t->count--;
    return UMPTCP_OK;
}
