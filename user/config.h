/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * The one table of config keys. attach, set, status and the config file
 * all go through it: a key's name, type, default, validation and help
 * live in one row.
 */
#ifndef CHIMNEY_USER_CONFIG_H
#define CHIMNEY_USER_CONFIG_H

#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <chimney/config.h>

struct json_object;

struct config_key {
	const char *name;
	const char *type;	/* shown in help: "port list", "0-65535" */
	const char *def;	/* default, in the same syntax as a value */
	const char *help;
	/* Parse val into cfg; on error write a reason into err. */
	int (*parse)(const struct config_key *k, const char *val,
		     struct chimney_config *cfg, char *err, size_t errlen);
	/* Format the current value the way parse() accepts it. */
	void (*format)(const struct config_key *k,
		       const struct chimney_config *cfg, char *buf, size_t len);
	size_t off;		/* field offset in struct chimney_config */
	long min, max;		/* for numeric keys */
	const char *const *names; /* for enumerated keys, NULL-terminated */
	bool numeric;		/* JSON prints it as a number */
};

extern const struct config_key config_keys[];
extern const size_t config_nkeys;

const struct config_key *config_find(const char *name);
void config_defaults(struct chimney_config *cfg);
/*
 * Apply "key=value" strings to cfg. All or nothing: on the first bad
 * item, cfg is left as it was and a one-line error is printed.
 */
int config_apply_kv(struct chimney_config *cfg, int n, char **kv,
		    const char *verb);
/* Syntax and key names only: KEY=VALUE with a known KEY. */
int config_check_keys(int n, char **kv, const char *verb);
int config_apply_one(struct chimney_config *cfg, const char *key,
		     const char *val, char *err, size_t errlen);
/* One KEY = VALUE line of a config file. */
struct config_line {
	const char *key;
	const char *val;
	int line;
};
/*
 * Apply a config file section's lines to cfg, in table order like
 * config_apply_kv(). All or nothing: on the first unknown key, repeated
 * key or bad value, print "FILE:LINE: reason" and leave cfg as it was.
 */
int config_apply_lines(struct chimney_config *cfg,
		       const struct config_line *lines, int n,
		       const char *file);
void config_print(const struct chimney_config *cfg, const char *indent);
/* " KEY=VALUE" for each key whose value is not its default, into buf. */
void config_format_changed(const struct chimney_config *cfg, char *buf,
			   size_t len);
struct json_object *config_to_json(const struct chimney_config *cfg);
void config_print_keys(FILE *f);

#endif
