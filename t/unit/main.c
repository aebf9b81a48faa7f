/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Unit tests of the pure C parts (no httpd): one Check suite per source file.
 * Each suite lives in t/unit/test_<part>.c and is listed here.
 */
#include <check.h>
#include <stdlib.h>

Suite *header_suite(void);
Suite *scope_suite(void);
Suite *token_suite(void);
Suite *entry_suite(void);
Suite *mint_request_suite(void);
Suite *table_suite(void);
Suite *fleet_record_suite(void);
Suite *mac_suite(void);
Suite *metrics_suite(void);
Suite *table_faults_suite(void);
Suite *mc_reply_suite(void);
Suite *cors_origin_suite(void);
Suite *wider_suite(void);
Suite *form_suite(void);

int main(void)
{
    SRunner *runner = srunner_create(header_suite());
    int failed;

    srunner_add_suite(runner, scope_suite());
    srunner_add_suite(runner, token_suite());
    srunner_add_suite(runner, entry_suite());
    srunner_add_suite(runner, mint_request_suite());
    srunner_add_suite(runner, table_suite());
    srunner_add_suite(runner, fleet_record_suite());
    srunner_add_suite(runner, mac_suite());
    srunner_add_suite(runner, metrics_suite());
    srunner_add_suite(runner, table_faults_suite());
    srunner_add_suite(runner, mc_reply_suite());
    srunner_add_suite(runner, cors_origin_suite());
    srunner_add_suite(runner, wider_suite());
    srunner_add_suite(runner, form_suite());
    srunner_run_all(runner, CK_NORMAL);
    failed = srunner_ntests_failed(runner);
    srunner_free(runner);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
