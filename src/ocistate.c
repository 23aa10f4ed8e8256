#include "ocistate.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

struct json {
	const char *p;
	const char *why;
	int depth;
};

static void blank(struct json *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static int fail(struct json *j, const char *why)
{
	if (j->why == NULL)
		j->why = why;
	return -1;
}

/* A string into OUT (SIZE bytes; longer is an error when OUT is set).
 * Escapes other than \uXXXX are decoded; \u is kept only for ASCII. */
static int string(struct json *j, char *out, size_t size)
{
	size_t n = 0;

	if (*j->p != '"')
		return fail(j, "expected a string");
	for (j->p++; *j->p != '"'; j->p++) {
		char c = *j->p;
		if (c == '\0' || (unsigned char)c < 0x20)
			return fail(j, "unterminated string");
		if (c == '\\') {
			c = *++j->p;
			if (c == '\0')
				return fail(j, "unterminated string");
			if (c == 'u') {
				char hex[5] = { 0 };
				for (int i = 0; i < 4; i++)
					if (!isxdigit((unsigned char)(hex[i] = *++j->p)))
						return fail(j, "bad \\u escape");
				long v = strtol(hex, NULL, 16);
				c = v > 0 && v < 0x80 ? (char)v : '?';
			} else if (strchr("\"\\/", c) == NULL) {
				const char *map = strchr("bfnrt", c);
				if (map == NULL)
					return fail(j, "bad escape");
				c = "\b\f\n\r\t"[map - "bfnrt"];
			}
		}
		if (out && n + 1 >= size)
			return fail(j, "a string is too long");
		if (out)
			out[n++] = c;
	}
	j->p++;
	if (out)
		out[n] = '\0';
	return 0;
}

static int value(struct json *j);

static int members(struct json *j, char close, int (*each)(struct json *, void *), void *arg)
{
	if (++j->depth > 32)
		return fail(j, "nested too deep");
	j->p++;
	blank(j);
	if (*j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		blank(j);
		if (each(j, arg) < 0)
			return -1;
		blank(j);
		if (*j->p == ',') {
			j->p++;
			continue;
		}
		if (*j->p != close)
			return fail(j, "expected , or the end of an object or array");
		j->p++;
		j->depth--;
		return 0;
	}
}

static int element(struct json *j, void *arg)
{
	(void)arg;
	return value(j);
}

static int member(struct json *j, void *arg)
{
	(void)arg;
	if (string(j, NULL, 0) < 0)
		return -1;
	blank(j);
	if (*j->p++ != ':')
		return fail(j, "expected :");
	blank(j);
	return value(j);
}

static int value(struct json *j)
{
	if (*j->p == '{')
		return members(j, '}', member, NULL);
	if (*j->p == '[')
		return members(j, ']', element, NULL);
	if (*j->p == '"')
		return string(j, NULL, 0);
	const char *start = j->p;
	while (*j->p && strchr("+-.0123456789eEtruefalsn", *j->p))
		j->p++;
	return j->p == start ? fail(j, "expected a value") : 0;
}

static int annotation(struct json *j, void *arg)
{
	struct ocistate *st = arg;
	char key[64];

	if (string(j, key, sizeof(key)) < 0) {
		j->why = NULL;	/* a long key is no error: it is not ours */
		return member(j, NULL);
	}
	blank(j);
	if (*j->p++ != ':')
		return fail(j, "expected :");
	blank(j);
	if (strcmp(key, "devmgr.name") == 0)
		return string(j, st->name, sizeof(st->name));
	return value(j);
}

static int top(struct json *j, void *arg)
{
	struct ocistate *st = arg;
	char key[64] = "";

	if (*j->p == '"' && strlen(j->p) > 0) {
		const char *save = j->p;
		if (string(j, key, sizeof(key)) < 0) {
			j->p = save;
			j->why = NULL;
			return member(j, NULL);
		}
	}
	blank(j);
	if (*j->p++ != ':')
		return fail(j, "expected :");
	blank(j);
	if (strcmp(key, "id") == 0)
		return string(j, st->id, sizeof(st->id));
	if (strcmp(key, "status") == 0)
		return string(j, st->status, sizeof(st->status));
	if (strcmp(key, "pid") == 0) {
		char *end;
		st->pid = strtol(j->p, &end, 10);
		if (end == j->p || st->pid < 0)
			return fail(j, "pid is not a number");
		j->p = end;
		return 0;
	}
	if (strcmp(key, "annotations") == 0 && *j->p == '{')
		return members(j, '}', annotation, st);
	return value(j);
}

int ocistate_parse(const char *text, struct ocistate *st, const char **why)
{
	struct json j = { .p = text };

	memset(st, 0, sizeof(*st));
	blank(&j);
	if (*j.p != '{')
		fail(&j, "not a JSON object");
	else if (members(&j, '}', top, st) == 0 && (blank(&j), *j.p != '\0'))
		fail(&j, "something follows the object");
	if (j.why == NULL && st->id[0] == '\0')
		fail(&j, "no \"id\"");
	*why = j.why;
	return j.why ? -1 : 0;
}
