/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kept_shm.c - shared-memory segments that outlive graceful restarts.
 *
 * httpd runs post_config again with a new configuration pool on every
 * restart, but the process pool lives as long as the parent: a segment
 * created there and remembered in the process pool's userdata is found
 * again by the next generation, so tokens, server health and counters
 * survive `apachectl graceful`. A segment is made again (zero-filled)
 * only when its size or its signature (what it was made for: a slot count,
 * a server list) changed. The token table, the memcached servers' health
 * and the metrics all keep their segment this way.
 */
#include "bearer_private.h"

#include "apr_shm.h"
#include "apr_strings.h"

struct bearer_kept_shm {
    apr_shm_t *shm;
    const char *signature;
    void *owner_data;
};

apr_status_t bearer_kept_shm_get(apr_pool_t *process_pool, const char *name,
                                 const char *signature, apr_size_t bytes,
                                 bearer_kept_shm **out,
                                 bearer_kept_shm_state *state)
{
    bearer_kept_shm *kept = NULL;
    apr_status_t rv;

    *state = BEARER_SHM_NEW;
    apr_pool_userdata_get((void **)&kept, name, process_pool);
    if (kept && kept->shm) {
        if (strcmp(kept->signature, signature) == 0
            && apr_shm_size_get(kept->shm) == bytes) {
            *state = BEARER_SHM_KEPT;
            *out = kept;
            return APR_SUCCESS;
        }
        /* as in bearer_kept_shm_renew: old children keep their mapping */
        apr_shm_destroy(kept->shm);
        kept->shm = NULL;
        *state = BEARER_SHM_REPLACED;
    }
    if (!kept) {
        kept = apr_pcalloc(process_pool, sizeof(*kept));
        apr_pool_userdata_set(kept, name, apr_pool_cleanup_null,
                              process_pool);
    }
    /* without a file name, apr_shm_create maps anonymous memory, which
     * the kernel hands out zero-filled */
    rv = apr_shm_create(&kept->shm, bytes, NULL, process_pool);
    if (rv != APR_SUCCESS) {
        kept->shm = NULL;
        return rv;
    }
    kept->signature = apr_pstrdup(process_pool, signature);
    *out = kept;
    return APR_SUCCESS;
}

apr_status_t bearer_kept_shm_renew(apr_pool_t *process_pool,
                                   bearer_kept_shm *kept)
{
    apr_size_t bytes = apr_shm_size_get(kept->shm);

    /* Children of the old generation keep their own mapping of the old
     * segment: destroying it here never pulls memory from under them,
     * and they never write into the new one. */
    apr_shm_destroy(kept->shm);
    kept->shm = NULL;
    return apr_shm_create(&kept->shm, bytes, NULL, process_pool);
}

void *bearer_kept_shm_base(const bearer_kept_shm *kept)
{
    return apr_shm_baseaddr_get(kept->shm);
}

apr_size_t bearer_kept_shm_size(const bearer_kept_shm *kept)
{
    return apr_shm_size_get(kept->shm);
}

void *bearer_kept_shm_owner_data(const bearer_kept_shm *kept)
{
    return kept->owner_data;
}

void bearer_kept_shm_set_owner_data(bearer_kept_shm *kept, void *data)
{
    kept->owner_data = data;
}
