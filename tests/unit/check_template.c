/* Unit tests for the --format template engine (ctl/template.c). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/template.h"
#include "tap.h"

static const char doc_text[] =
    "{\"Id\":\"abc123\",\"Name\":\"/web\",\"State\":{\"Running\":true,\"Pid\":42,"
    "\"Status\":\"running\",\"ExitCode\":0,\"Ratio\":0.5},"
    "\"Config\":{\"Cmd\":[\"sleep\",\"100\"],\"Env\":[],\"Labels\":{\"b\":\"2\",\"a\":\"1\"},"
    "\"Empty\":null},"
    "\"Mounts\":[{\"Source\":\"/s1\",\"Destination\":\"/d1\"},"
    "{\"Source\":\"/s2\",\"Destination\":\"/d2\"}]}";

/* Render text over the document: the output, or "ERR: <message>". */
static char *render(const char *text)
{
	cJSON *doc = cJSON_Parse(doc_text);
	char *out = NULL, *err = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	struct tmpl *t = tmpl_parse(text, &err);

	if (t && tmpl_exec(t, doc, f, &err) == 0) {
		fclose(f);
	} else {
		fclose(f);
		free(out);
		if (asprintf(&out, "ERR: %s", err) < 0)
			out = NULL;
		free(err);
	}
	tmpl_free(t);
	cJSON_Delete(doc);
	return out;
}

#define ck_render(text, want)                                                                      \
	do {                                                                                       \
		char *got_ = render(text);                                                         \
		ck_assert_str_eq(got_, want);                                                      \
		free(got_);                                                                        \
	} while (0)

#define ck_render_err(text, part)                                                                  \
	do {                                                                                       \
		char *got_ = render(text);                                                         \
		ck_assert_msg(strstr(got_, part) != NULL, "'%s' has no '%s'", got_, part);         \
		free(got_);                                                                        \
	} while (0)

START_TEST(test_fields_and_values)
{
	ck_render("{{.Id}}", "abc123");
	ck_render("pid={{.State.Pid}} run={{.State.Running}} r={{.State.Ratio}}",
		  "pid=42 run=true r=0.5");
	ck_render("{{.Config.Cmd}} {{.Config.Env}}", "[sleep 100] []");
	ck_render("{{.Config.Labels}}", "map[a:1 b:2]");
	ck_render("{{.Config.Empty}}", "<nil>");
	ck_render("{{json .Config.Cmd}} {{json .State.Pid}}", "[\"sleep\",\"100\"] 42");
	ck_render("{{.Name | upper}} {{lower \"ABC\"}} {{title \"foo bar\"}}", "/WEB abc Foo Bar");
	ck_render("{{$.Id}} {{with .State}}{{.Status}}{{end}}", "abc123 running");
	ck_render("{{index .Config.Labels \"a\"}} {{index .Config.Cmd 1}} [{{index .Config.Labels "
		  "\"zz\"}}]",
		  "1 100 [<no value>]");
	ck_render("{{len .Config.Cmd}} {{len .Name}}", "2 4");
	ck_render("{{join .Config.Cmd \",\"}} {{split \"a:b\" \":\"}}", "sleep,100 [a b]");
	ck_render("{{printf \"%-6s|%4d|%q|%.1f\" .State.Status .State.Pid .Name .State.Ratio}}",
		  "running|  42|\"/web\"|0.5");
	ck_render("{{truncate .Id 3}}|{{pad \"x\" 1 2}}|", "abc| x  |");
	ck_render("{{print \"a\" \"b\" 1 2}}{{println}}", "ab1 2\n");
	ck_render("{{(index .Mounts 1).Source}}", "/s2");
}
END_TEST

START_TEST(test_blocks)
{
	ck_render("{{range .Mounts}}{{.Source}}:{{.Destination}} {{end}}", "/s1:/d1 /s2:/d2 ");
	ck_render("{{range $k, $v := .Config.Labels}}{{$k}}={{$v}};{{end}}", "a=1;b=2;");
	ck_render("{{range $i, $c := .Config.Cmd}}{{$i}}{{$c}}{{end}}", "0sleep1100");
	ck_render("{{range .Config.Env}}x{{else}}none{{end}}", "none");
	ck_render("{{range .Config.Empty}}x{{else}}nil{{end}}", "nil");
	ck_render("{{if .State.Running}}up{{else}}down{{end}}", "up");
	ck_render("{{if eq .State.Status \"exited\"}}e{{else if eq .State.Pid 42}}p{{else}}"
		  "o{{end}}",
		  "p");
	ck_render("{{if and .State.Running (not .Config.Env)}}y{{end}}", "y");
	ck_render("{{or .Config.Env .Name}}", "/web");
	ck_render("{{if gt .State.Pid 10}}big{{end}}{{if lt \"a\" \"b\"}}<{{end}}", "big<");
	ck_render("{{if ne .State.Pid 1 2 3}}x{{end}}", "x");
	ck_render("a  {{- .Id -}}  b {{/* comment */}}c", "aabc123b c");
	ck_render("{{range .Mounts}}{{$.Id}}{{end}}", "abc123abc123");
}
END_TEST

START_TEST(test_errors)
{
	ck_render_err("{{.State.Nope}}", "executing at <.State.Nope>: map has no entry for key "
					 "\"Nope\"");
	ck_render_err("{{.Id.Sub}}", "can't evaluate field Sub in a string");
	ck_render_err("{{.Id", "unclosed action");
	ck_render_err("{{if .Id}}x", "{{end}} missing");
	ck_render_err("x{{end}}", "unexpected {{end}}");
	ck_render_err("{{nope .Id}}", "function \"nope\" not defined");
	ck_render_err("{{range .Id}}{{end}}", "range can't iterate over a string");
	ck_render_err("{{$x}}", "undefined variable $x");
	ck_render_err("{{\"abc}}", "unterminated string");
	ck_render_err("{{.Id 3}}", "not a function");
	ck_render_err("{{len}}", "wrong number of arguments for len");
	ck_render_err("a\n{{.Id)}}", "line 2");
	/* found by fuzzing (make run-fuzz): each once hung, leaked or printed without bound */
	ck_render("{{.5}}", "0.5");
	ck_render("{{printf \"%5555555555d|%3d\" 1 2}}", "%!d(BADWIDTH)|  2");
	ck_render("{{len (pad \"x\" 1e300 -5)}}|{{truncate \"abc\" 1e300}}|"
		  "{{index .Config.Cmd 1e300}}",
		  "1000|abc|<no value>");
	ck_render_err("{{e\xe0}}", "unexpected");
	{
		char deep[600] = "{{";

		for (int i = 0; i < 100; i++)
			strcat(deep, "(");
		strcat(deep, ".Id");
		for (int i = 0; i < 100; i++)
			strcat(deep, ")");
		strcat(deep, "}}");
		ck_render_err(deep, "nested more than 64 deep");
	}
}
END_TEST

int main(void)
{
	Suite *s = suite_create("template");
	TCase *tc = tcase_create("template");

	tcase_add_test(tc, test_fields_and_values);
	tcase_add_test(tc, test_blocks);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);
	return run_suite_tap(s);
}
