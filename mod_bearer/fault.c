/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fault.c - faults on demand, for t/fault/ only. Only the fault build
 * (make fault-module: BEARER_FAULT_SRC, with -DBEARER_FAULT_INJECTION)
 * compiles this file; the module's own build has neither the file nor
 * the calls (bearer_private.h makes them nothing).
 *
 * A mint carrying "X-Bearer-Fault: hold-lock" stops for a minute right
 * after taking the writers' lock; one carrying "X-Bearer-Fault: mid-write"
 * stops inside its first slot write, the slot's counter odd (through the
 * table's own test hook, bearer_table_fault_hook, which the unit tests
 * use too). Each says so in the error log with its pid, for the test to
 * SIGKILL it there.
 */
#include "bearer_private.h"
#include "bearer_bytes.h"

#include <unistd.h>

#ifndef BEARER_FAULT_INJECTION
#error "fault.c belongs to the fault build only (make fault-module)"
#endif

static request_rec *fault_request;

static void fault_stall_mid_write(uint32_t idx)
{
    request_rec *r = fault_request;

    if (!r) {
        return;
    }
    fault_request = NULL;
    bearer_table_fault_hook = NULL;
    ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "BRR-FAULT: pid %ld "
                  "stalls mid-write of slot %u", (long)getpid(),
                  (unsigned)idx);
    apr_sleep(apr_time_from_sec(60));
}

void bearer_fault_after_lock(request_rec *r,
                             const unsigned char id[BEARER_ID_BYTES])
{
    const char *fault = apr_table_get(r->headers_in, "X-Bearer-Fault");
    char text[BEARER_ID_CHARS + 1];

    if (!fault) {
        return;
    }
    bearer_base64url_encode(id, BEARER_ID_BYTES, text);
    if (strcmp(fault, "hold-lock") == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "BRR-FAULT: pid %ld "
                      "holds the writers' lock, minting token %s",
                      (long)getpid(), text);
        apr_sleep(apr_time_from_sec(60));
    }
    else if (strcmp(fault, "mid-write") == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_NOTICE, 0, r, "BRR-FAULT: pid %ld "
                      "will stall mid-write, minting token %s",
                      (long)getpid(), text);
        fault_request = r;
        bearer_table_fault_hook = fault_stall_mid_write;
    }
}
