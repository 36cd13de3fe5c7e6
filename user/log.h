/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CHIMNEY_LOG_H
#define CHIMNEY_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_ERR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
};

/* The one logging helper; libbpf and libxdp output is routed into it. */
void log_msg(enum log_level lvl, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void log_set_level(enum log_level lvl);
enum log_level log_get_level(void);
/*
 * The last pr_err() message, without prefix and newline ("" if none):
 * a --json error object carries the very line stderr got.
 */
const char *log_last_error(void);
/* Route libbpf's and libxdp's messages through log_msg(). */
void log_init_libs(void);

#define pr_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
