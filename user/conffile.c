// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * The config file, read with libinih.
 *
 * libinih calls back per KEY = VALUE, but without line numbers (that is
 * a build option Debian leaves off), and it treats an indented line as
 * the continuation of the previous value and never reports a section
 * without keys. So chimney hands it lines through its own reader, which
 * counts them, strips leading blanks (indentation is only layout here)
 * and notes every [section] header with its line, and the callback
 * takes the line number from there: every error names its line.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ini.h>

#include "chimney.h"
#include "conffile.h"
#include "log.h"

struct conf_parse {
	const char *path;
	const char *only_netns;
	FILE *f;
	char *buf;
	size_t cap;
	int line;
	int err_line;		/* first error found by chimney, 0: none */
	char reason[256];
	struct conf_file *cf;
};

static void conf_error(struct conf_parse *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void conf_error(struct conf_parse *p, const char *fmt, ...)
{
	va_list ap;

	if (p->err_line)
		return;
	p->err_line = p->line;
	va_start(ap, fmt);
	vsnprintf(p->reason, sizeof(p->reason), fmt, ap);
	va_end(ap);
}

/* "[netns/ifname]" -> a new interface entry, or an error. */
static void conf_section(struct conf_parse *p, const char *name)
{
	struct conf_file *cf = p->cf;
	struct conf_iface *ifc, *tmp;
	const char *slash = strchr(name, '/');
	char ns[128] = "", ifn[128];
	int i;

	if (slash) {
		if ((size_t)(slash - name) >= sizeof(ns)) {
			conf_error(p, "namespace name too long");
			return;
		}
		memcpy(ns, name, slash - name);
		ns[slash - name] = 0;
		snprintf(ifn, sizeof(ifn), "%s", slash + 1);
	} else {
		snprintf(ifn, sizeof(ifn), "%s", name);
	}
	if ((slash && (!*ns || !strcmp(ns, ".") || !strcmp(ns, ".."))) ||
	    !*ifn || strchr(ifn, '/') || strlen(ifn) >= IFNAMSIZ ||
	    !strcmp(ifn, ".") || !strcmp(ifn, "..")) {
		conf_error(p, "bad section [%s]: expected [IFACE] or [NETNS/IFACE]",
			   name);
		return;
	}
	if (p->only_netns) {
		if (slash && strcmp(ns, p->only_netns)) {
			conf_error(p, "[%s] is in namespace '%s', but chimney run -n %s serves only '%s'",
				   name, ns, p->only_netns, p->only_netns);
			return;
		}
		snprintf(ns, sizeof(ns), "%s", p->only_netns);
	}
	/* [default/eth0] names the root namespace, as the pin paths do */
	if (!strcmp(ns, CHIMNEY_DEFAULT_NS))
		ns[0] = 0;
	for (i = 0; i < cf->n; i++) {
		ifc = &cf->ifs[i];
		if (!strcmp(ifc->ifname, ifn) &&
		    !strcmp(ifc->netns ? ifc->netns : "", ns)) {
			conf_error(p, "interface %s%s%s already has a section, on line %d",
				   ns, *ns ? "/" : "", ifn, ifc->line);
			return;
		}
	}
	tmp = realloc(cf->ifs, (cf->n + 1) * sizeof(*cf->ifs));
	if (!tmp) {
		conf_error(p, "out of memory");
		return;
	}
	cf->ifs = tmp;
	ifc = &cf->ifs[cf->n++];
	memset(ifc, 0, sizeof(*ifc));
	ifc->netns = *ns ? strdup(ns) : NULL;
	ifc->ifname = strdup(ifn);
	ifc->line = p->line;
}

/*
 * The reader libinih calls for each line: the line, trimmed on the left
 * so indentation does not make it a continuation line. A line that
 * does not fit libinih's buffer is an error here, not two lines there.
 */
static char *conf_reader(char *str, int num, void *stream)
{
	struct conf_parse *p = stream;
	ssize_t len;
	char *s, *end;

	len = getline(&p->buf, &p->cap, p->f);
	if (len < 0)
		return NULL;
	p->line++;
	s = p->buf;
	while (len && (s[len - 1] == '\n' || s[len - 1] == '\r'))
		s[--len] = 0;
	while (*s == ' ' || *s == '\t')
		s++;
	if ((int)strlen(s) >= num - 1) {
		conf_error(p, "line longer than %d characters", num - 2);
		str[0] = '\n';
		str[1] = 0;
		return str;
	}
	if (*s == '[') {
		end = strchr(s, ']');
		if (end) {
			*end = 0;
			conf_section(p, s + 1);
			*end = ']';
		}
	}
	snprintf(str, num, "%s\n", s);
	return str;
}

static int conf_handler(void *user, const char *section, const char *name,
			const char *value)
{
	struct conf_parse *p = user;
	struct conf_iface *ifc;
	struct config_line *tmp;

	if (!*section) {
		conf_error(p, "'%s' outside an interface section: start with [IFACE] or [NETNS/IFACE]",
			   name);
		return 0;
	}
	/* After the first error nothing is kept: that error is the one
	 * reported. */
	if (p->err_line || !p->cf->n)
		return 1;
	ifc = &p->cf->ifs[p->cf->n - 1];
	if (!strcmp(name, "mode")) {
		if (ifc->mode) {
			conf_error(p, "mode is already set in this section");
			return 0;
		}
		if (strcmp(value, "native") && strcmp(value, "skb")) {
			conf_error(p, "bad value '%s' for mode: expected native or skb",
				   value);
			return 0;
		}
		ifc->mode = strdup(value);
		return 1;
	}
	tmp = realloc(ifc->lines, (ifc->n + 1) * sizeof(*ifc->lines));
	if (!tmp) {
		conf_error(p, "out of memory");
		return 0;
	}
	ifc->lines = tmp;
	ifc->lines[ifc->n].key = strdup(name);
	ifc->lines[ifc->n].val = strdup(value);
	ifc->lines[ifc->n].line = p->line;
	ifc->n++;
	return 1;
}

void conf_free(struct conf_file *cf)
{
	int i, j;

	for (i = 0; i < cf->n; i++) {
		struct conf_iface *ifc = &cf->ifs[i];

		for (j = 0; j < ifc->n; j++) {
			free((char *)ifc->lines[j].key);
			free((char *)ifc->lines[j].val);
		}
		free(ifc->lines);
		free(ifc->netns);
		free(ifc->ifname);
		free(ifc->mode);
	}
	free(cf->ifs);
	cf->ifs = NULL;
	cf->n = 0;
}

int conf_load(const char *path, const char *only_netns, struct conf_file *cf)
{
	struct conf_parse p = { .path = path, .only_netns = only_netns,
				.cf = cf };
	int ret, i, err = 0;

	memset(cf, 0, sizeof(*cf));
	p.f = fopen(path, "r");
	if (!p.f) {
		err = -errno;
		pr_err("%s: %s\n", path, strerror(-err));
		return err;
	}
	ret = ini_parse_stream(conf_reader, &p, conf_handler, &p);
	fclose(p.f);
	free(p.buf);
	if (ret < 0) {
		pr_err("%s: cannot parse: out of memory\n", path);
		err = -ENOMEM;
		goto out;
	}
	/* libinih returns the first line it refused (its own syntax errors
	 * and our refusals alike); ours may come first or be the same. */
	if (p.err_line && (!ret || p.err_line <= ret)) {
		pr_err("%s:%d: %s\n", path, p.err_line, p.reason);
		err = -EINVAL;
		goto out;
	}
	if (ret > 0) {
		pr_err("%s:%d: syntax error: expected [IFACE], [NETNS/IFACE], KEY = VALUE or a comment\n",
		       path, ret);
		err = -EINVAL;
		goto out;
	}
	if (!cf->n) {
		pr_err("%s: no interface section: nothing to attach\n", path);
		err = -EINVAL;
		goto out;
	}
	for (i = 0; i < cf->n; i++) {
		config_defaults(&cf->ifs[i].cfg);
		err = config_apply_lines(&cf->ifs[i].cfg, cf->ifs[i].lines,
					 cf->ifs[i].n, path);
		if (err)
			goto out;
	}
	return 0;
out:
	conf_free(cf);
	return err;
}
