// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <json-c/json.h>

#include "config.h"
#include "log.h"

#define FIELD(cfg, k) ((char *)(cfg) + (k)->off)

static int parse_ulong(const char *val, long min, long max, long *out)
{
	char *end;
	long v;

	if (!*val)
		return -EINVAL;
	errno = 0;
	v = strtol(val, &end, 0);
	if (errno || *end || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* A comma-separated list of UDP ports, "none" for an empty list. */
static int parse_ports(const struct config_key *k, const char *val,
		       struct chimney_config *cfg, char *err, size_t errlen)
{
	__u16 ports[CHIMNEY_MAX_VXLAN_PORTS] = {};
	char buf[128], *tok, *save;
	int n = 0;
	long v;

	if (strcmp(val, "none")) {
		if (strlen(val) >= sizeof(buf))
			goto bad;
		strcpy(buf, val);
		for (tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			if (n == CHIMNEY_MAX_VXLAN_PORTS) {
				snprintf(err, errlen, "at most %d ports",
					 CHIMNEY_MAX_VXLAN_PORTS);
				return -EINVAL;
			}
			if (parse_ulong(tok, 1, 65535, &v))
				goto bad;
			ports[n++] = v;
		}
		if (!n)
			goto bad;
	}
	memcpy(FIELD(cfg, k), ports, sizeof(ports));
	return 0;
bad:
	snprintf(err, errlen, "expected %s, e.g. 4789,8472", k->type);
	return -EINVAL;
}

static void format_ports(const struct config_key *k,
			 const struct chimney_config *cfg, char *buf,
			 size_t len)
{
	const __u16 *ports = (const void *)FIELD(cfg, k);
	size_t used = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < CHIMNEY_MAX_VXLAN_PORTS && ports[i]; i++)
		used += snprintf(buf + used, len - used, "%s%u", i ? "," : "",
				 ports[i]);
	if (!used)
		snprintf(buf, len, "none");
}

const struct config_key config_keys[] = {
	{
		.name = "vxlan.ports",
		.type = "port list (1-65535, up to 4, or none)",
		.def = "4789",
		.help = "UDP destination ports parsed as VXLAN, so the inner flow is seen",
		.parse = parse_ports,
		.format = format_ports,
		.off = offsetof(struct chimney_config, vxlan_ports),
	},
};

const size_t config_nkeys = sizeof(config_keys) / sizeof(config_keys[0]);

const struct config_key *config_find(const char *name)
{
	size_t i;

	for (i = 0; i < config_nkeys; i++)
		if (!strcmp(config_keys[i].name, name))
			return &config_keys[i];
	return NULL;
}

void config_defaults(struct chimney_config *cfg)
{
	char err[128];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	/* Defaults go through the same parser as user input, so a table
	 * row cannot carry a default its own validation would refuse. */
	for (i = 0; i < config_nkeys; i++)
		if (config_keys[i].parse(&config_keys[i], config_keys[i].def,
					 cfg, err, sizeof(err)))
			pr_err("internal: default of %s: %s\n",
			       config_keys[i].name, err);
}

int config_apply_one(struct chimney_config *cfg, const char *key,
		     const char *val, char *err, size_t errlen)
{
	const struct config_key *k = config_find(key);

	if (!k) {
		snprintf(err, errlen, "unknown key '%s' (see `chimney set --help`)",
			 key);
		return -ENOENT;
	}
	if (k->parse(k, val, cfg, err, errlen))
		return -EINVAL;
	return 0;
}

int config_apply_kv(struct chimney_config *cfg, int n, char **kv,
		    const char *verb)
{
	struct chimney_config tmp = *cfg;
	char key[64], err[160];
	const char *eq;
	int i;

	for (i = 0; i < n; i++) {
		eq = strchr(kv[i], '=');
		if (!eq || eq == kv[i] || (size_t)(eq - kv[i]) >= sizeof(key)) {
			pr_err("%s: expected KEY=VALUE, got '%s'\n", verb, kv[i]);
			return -EINVAL;
		}
		memcpy(key, kv[i], eq - kv[i]);
		key[eq - kv[i]] = 0;
		err[0] = 0;
		if (config_apply_one(&tmp, key, eq + 1, err, sizeof(err))) {
			if (config_find(key))
				pr_err("%s: bad value '%s' for %s: %s\n", verb,
				       eq + 1, key, err);
			else
				pr_err("%s: %s\n", verb, err);
			return -EINVAL;
		}
	}
	*cfg = tmp;
	return 0;
}

void config_print(const struct chimney_config *cfg, const char *indent)
{
	char buf[256];
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		config_keys[i].format(&config_keys[i], cfg, buf, sizeof(buf));
		printf("%s%-24s %s\n", indent, config_keys[i].name, buf);
	}
}

struct json_object *config_to_json(const struct chimney_config *cfg)
{
	struct json_object *o = json_object_new_object();
	char buf[256];
	size_t i;

	for (i = 0; i < config_nkeys; i++) {
		const struct config_key *k = &config_keys[i];

		k->format(k, cfg, buf, sizeof(buf));
		json_object_object_add(o, k->name,
				       k->numeric ?
				       json_object_new_int64(strtoll(buf, NULL, 0)) :
				       json_object_new_string(buf));
	}
	return o;
}

void config_print_keys(void)
{
	size_t i;

	printf("Config keys (KEY=VALUE; the same in attach, set and the config file):\n");
	for (i = 0; i < config_nkeys; i++)
		printf("  %-20s %s\n  %-20s   %s; default %s\n",
		       config_keys[i].name, config_keys[i].help, "",
		       config_keys[i].type, config_keys[i].def);
}
