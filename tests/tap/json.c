/*
 * json.c - a minimal validating JSON parser (RFC 8259) for the tests that
 * check "preforkd -s status --json" output: no dependency, and strict
 * enough that a control byte or a bad escape in a string fails.
 *
 * SPDX-License-Identifier: MIT
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include <ctype.h>
#include <string.h>

#include "json.h"

struct json {
	const char	*p;
	int		 depth;
};

static int	json_value(struct json *);

static void
json_ws(struct json *j)
{
	while (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')
		j->p++;
}

static int
json_string(struct json *j)
{
	int i;

	if (*j->p != '"')
		return 0;
	for (j->p++; *j->p != '"'; j->p++) {
		if ((unsigned char)*j->p < 0x20)
			return 0;	/* also the end of the text */
		if (*j->p != '\\')
			continue;
		j->p++;
		if (*j->p == 'u') {
			for (i = 1; i <= 4; i++)
				if (!isxdigit((unsigned char)j->p[i]))
					return 0;
			j->p += 4;
		} else if (strchr("\"\\/bfnrt", *j->p) == NULL || *j->p == '\0')
			return 0;
	}
	j->p++;
	return 1;
}

static int
json_number(struct json *j)
{
	if (*j->p == '-')
		j->p++;
	if (*j->p == '0')
		j->p++;
	else if (isdigit((unsigned char)*j->p))
		while (isdigit((unsigned char)*j->p))
			j->p++;
	else
		return 0;
	if (*j->p == '.') {
		j->p++;
		if (!isdigit((unsigned char)*j->p))
			return 0;
		while (isdigit((unsigned char)*j->p))
			j->p++;
	}
	if (*j->p == 'e' || *j->p == 'E') {
		j->p++;
		if (*j->p == '+' || *j->p == '-')
			j->p++;
		if (!isdigit((unsigned char)*j->p))
			return 0;
		while (isdigit((unsigned char)*j->p))
			j->p++;
	}
	return 1;
}

/* json_items - the members of an object or the elements of an array. */
static int
json_items(struct json *j, char close, int object)
{
	j->p++;
	json_ws(j);
	if (*j->p == close) {
		j->p++;
		return 1;
	}
	for (;;) {
		json_ws(j);
		if (object) {
			if (!json_string(j))
				return 0;
			json_ws(j);
			if (*j->p++ != ':')
				return 0;
		}
		if (!json_value(j))
			return 0;
		json_ws(j);
		if (*j->p == close) {
			j->p++;
			return 1;
		}
		if (*j->p++ != ',')
			return 0;
	}
}

static int
json_value(struct json *j)
{
	int r;

	json_ws(j);
	switch (*j->p) {
	case '{':
	case '[':
		if (++j->depth > 64)
			return 0;
		r = json_items(j, *j->p == '{' ? '}' : ']', *j->p == '{');
		j->depth--;
		return r;
	case '"':
		return json_string(j);
	case 't':
		return strncmp(j->p, "true", 4) == 0 ? (j->p += 4, 1) : 0;
	case 'f':
		return strncmp(j->p, "false", 5) == 0 ? (j->p += 5, 1) : 0;
	case 'n':
		return strncmp(j->p, "null", 4) == 0 ? (j->p += 4, 1) : 0;
	default:
		return json_number(j);
	}
}

/*
 * pf_json_valid - whether text is exactly one JSON value with optional
 * white space around it; *where is where the parser stopped.
 */
int
pf_json_valid(const char *text, const char **where)
{
	struct json j = { text, 0 };
	int r;

	r = json_value(&j);
	if (r) {
		json_ws(&j);
		r = *j.p == '\0';
	}
	*where = j.p;
	return r;
}
