/* Unit tests for the Dockerfile parser and Docker's word rules (ctl/dockerfile.c). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "ctl/lib/dockerfile.h"
#include "tap.h"

static struct dockerfile parse_ok(const char *text)
{
	struct dockerfile df;
	struct err e = ERR_INIT;

	ck_assert_msg(dockerfile_parse("Dockerfile", text, &df, &e) == 0, "%s", err_msg(&e));
	return df;
}

static char *parse_fail(const char *text)
{
	struct dockerfile df;
	struct err e = ERR_INIT;
	char *msg;

	ck_assert_int_lt(dockerfile_parse("Dockerfile", text, &df, &e), 0);
	msg = strdup(err_msg(&e));
	err_clear(&e);
	return msg;
}

START_TEST(test_lines_and_forms)
{
	struct dockerfile df = parse_ok("# syntax=docker/dockerfile:1\n"
					"FROM busybox AS base\n"
					"\n"
					"# a comment\n"
					"RUN echo a \\\n"
					"  # dropped comment\n"
					"  && echo b\n"
					"CMD [\"sh\", \"-c\", \"echo hi\"]\n"
					"COPY --chown=1:2 --from=base /a /b\n");

	ck_assert_uint_eq(df.n, 4);
	ck_assert_str_eq(df.v[0].cmd, "FROM");
	ck_assert_int_eq(df.v[1].line, 5);
	ck_assert_str_eq(df.v[1].rest, "echo a   && echo b");
	ck_assert(!df.v[1].json);
	ck_assert(df.v[2].json);
	ck_assert_uint_eq(df.v[2].nargs, 3);
	ck_assert_str_eq(df.v[2].args[2], "echo hi");
	ck_assert_str_eq(df_flag(&df.v[3], "chown"), "1:2");
	ck_assert_str_eq(df_flag(&df.v[3], "from"), "base");
	ck_assert_str_eq(df.v[3].rest, "/a /b");
	dockerfile_free(&df);
}
END_TEST

START_TEST(test_escape_directive_and_heredoc)
{
	struct dockerfile df = parse_ok("# escape=`\n"
					"FROM scratch\n"
					"RUN echo `\n"
					"  c:\\path\n"
					"RUN <<EOF\n"
					"echo one\n"
					"echo $HOME\n"
					"EOF\n"
					"COPY <<-'END' /f\n"
					"\tliteral $X\n"
					"\tEND\n");

	ck_assert_uint_eq(df.n, 4);
	ck_assert_int_eq(df.escape, '`');
	ck_assert_str_eq(df.v[1].rest, "echo   c:\\path");
	ck_assert_uint_eq(df.v[2].nheredocs, 1);
	ck_assert_str_eq(df.v[2].heredocs[0].body, "echo one\necho $HOME\n");
	ck_assert(df.v[2].heredocs[0].expand);
	ck_assert_str_eq(df.v[3].heredocs[0].body, "literal $X\n");
	ck_assert(!df.v[3].heredocs[0].expand);
	dockerfile_free(&df);
}
END_TEST

START_TEST(test_errors_name_the_line)
{
	char *m;

	m = parse_fail("FROM a\n\nRUNN x\n");
	ck_assert_str_eq(m, "Dockerfile:3: unknown instruction: RUNN");
	free(m);
	m = parse_fail("RUN x\n");
	ck_assert_str_eq(m, "Dockerfile:1: RUN before the first FROM (only ARG may be)");
	free(m);
	m = parse_fail("FROM a\nRUN <<EOF\nno end\n");
	ck_assert_str_eq(m, "Dockerfile:2: unterminated heredoc <<EOF");
	free(m);
	m = parse_fail("FROM a\nCOPY --bogus=1 a b\n");
	ck_assert_str_eq(m, "Dockerfile:2: unknown flag for COPY: --bogus");
	free(m);
	m = parse_fail("FROM a\nWORKDIR\n");
	ck_assert_str_eq(m, "Dockerfile:2: WORKDIR requires at least one argument");
	free(m);
	m = parse_fail("ARG A=1\n");
	ck_assert_str_eq(m, "Dockerfile: no FROM instruction");
	free(m);
}
END_TEST

START_TEST(test_expansion)
{
	cleanup_cjson cJSON *vars = cJSON_CreateObject();
	cleanup_cjson cJSON *w = NULL;
	struct err e = ERR_INIT;
	char *out;

	cJSON_AddStringToObject(vars, "A", "alpha");
	cJSON_AddStringToObject(vars, "EMPTY", "");
	ck_assert_int_eq(df_expand("$A-${A}", vars, '\\', &out, &e), 0);
	ck_assert_str_eq(out, "alpha-alpha");
	free(out);
	ck_assert_int_eq(
	    df_expand("${NOPE:-def}/${A:+set}/${EMPTY:-e}/${EMPTY-e}", vars, '\\', &out, &e), 0);
	ck_assert_str_eq(out, "def/set/e/");
	free(out);
	ck_assert_int_eq(df_expand("'$A' \"$A\" \\$A", vars, '\\', &out, &e), 0);
	ck_assert_str_eq(out, "$A alpha $A");
	free(out);
	ck_assert_int_eq(df_expand("${B:-${A}x}", vars, '\\', &out, &e), 0);
	ck_assert_str_eq(out, "alphax");
	free(out);
	ck_assert_int_lt(df_expand("${NOPE:?must be set}", vars, '\\', &out, &e), 0);
	ck_assert_str_eq(err_msg(&e), "NOPE: must be set");
	err_clear(&e);
	ck_assert_int_eq(df_words("K=\"a b\" L=$A M='x y'", vars, '\\', true, &w, &e), 0);
	ck_assert_int_eq(cJSON_GetArraySize(w), 3);
	ck_assert_str_eq(cJSON_GetArrayItem(w, 0)->valuestring, "K=a b");
	ck_assert_str_eq(cJSON_GetArrayItem(w, 1)->valuestring, "L=alpha");
	ck_assert_str_eq(cJSON_GetArrayItem(w, 2)->valuestring, "M=x y");
}
END_TEST

int main(void)
{
	Suite *s = suite_create("dockerfile");
	TCase *tc = tcase_create("dockerfile");

	tcase_add_test(tc, test_lines_and_forms);
	tcase_add_test(tc, test_escape_directive_and_heredoc);
	tcase_add_test(tc, test_errors_name_the_line);
	tcase_add_test(tc, test_expansion);
	suite_add_tcase(s, tc);
	return run_suite_tap(s);
}
