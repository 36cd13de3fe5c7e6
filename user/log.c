// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include <xdp/libxdp.h>

#include "log.h"

static enum log_level cur_level = LOG_INFO;
/* The last error printed, without prefix or newline (log_last_error()). */
static char last_err[512];
static bool hold_errors;

void log_set_level(enum log_level lvl)
{
	cur_level = lvl;
}

enum log_level log_get_level(void)
{
	return cur_level;
}

static void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	static const char *const prefix[] = {
		[LOG_ERR] = "chimney: ",
		[LOG_WARN] = "chimney: warning: ",
		[LOG_INFO] = "",
		[LOG_DEBUG] = "debug: ",
	};
	va_list aq;
	size_t n;

	if (lvl == LOG_ERR) {
		va_copy(aq, ap);
		vsnprintf(last_err, sizeof(last_err), fmt, aq);
		va_end(aq);
		n = strlen(last_err);
		if (n && last_err[n - 1] == '\n')
			last_err[n - 1] = 0;
	}
	if (lvl > cur_level || (lvl == LOG_ERR && hold_errors))
		return;
	fputs(prefix[lvl], stderr);
	vfprintf(stderr, fmt, ap);
}

void log_hold_errors(bool hold)
{
	hold_errors = hold;
}

const char *log_last_error(void)
{
	return last_err;
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

/* Ends the window if over by now; what it missed. Under rl->lock. */
static unsigned long ratelimit_roll(struct log_ratelimit *rl, __u64 now)
{
	unsigned long missed = 0;

	if (rl->begin && now - rl->begin >= rl->interval_ns) {
		missed = rl->missed;
		rl->begin = 0;
		rl->printed = 0;
		rl->missed = 0;
	}
	return missed;
}

bool log_ratelimit(struct log_ratelimit *rl, __u64 now_ns,
		   unsigned long *missed)
{
	bool ok;

	pthread_mutex_lock(&rl->lock);
	*missed = ratelimit_roll(rl, now_ns);
	/* 0 is "no window": a clock that reads 0 starts one at 1 ns */
	if (!rl->begin)
		rl->begin = now_ns ? now_ns : 1;
	ok = rl->printed < rl->burst;
	if (ok)
		rl->printed++;
	else
		rl->missed++;
	pthread_mutex_unlock(&rl->lock);
	return ok;
}

unsigned long log_ratelimit_missed(struct log_ratelimit *rl, __u64 now_ns)
{
	unsigned long missed;

	pthread_mutex_lock(&rl->lock);
	missed = ratelimit_roll(rl, now_ns);
	pthread_mutex_unlock(&rl->lock);
	return missed;
}

/*
 * libbpf and libxdp are chatty at INFO (every attach explains its
 * fallbacks); their INFO goes to our DEBUG, their WARN to our DEBUG too,
 * because chimney reports every failure itself, with the step that
 * failed. `-v` shows them all.
 */
static int lib_print(enum log_level lvl, const char *fmt, va_list ap)
{
	log_vmsg(lvl, fmt, ap);
	return 0;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt,
			va_list ap)
{
	return lib_print(LOG_DEBUG, fmt, ap);
}

static int libxdp_print(enum libxdp_print_level level, const char *fmt,
			va_list ap)
{
	return lib_print(LOG_DEBUG, fmt, ap);
}

void log_init_libs(void)
{
	libbpf_set_print(libbpf_print);
	libxdp_set_print(libxdp_print);
}
