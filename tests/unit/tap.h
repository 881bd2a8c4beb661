/* Run a Check suite with TAP output on stdout, for automake's TAP driver. */
#ifndef BERTH_TEST_TAP_H
#define BERTH_TEST_TAP_H

#include <check.h>
#include <stdlib.h>

static inline int run_suite_tap(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

#endif
