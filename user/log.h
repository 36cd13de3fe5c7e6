/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
#ifndef CHIMNEY_LOG_H
#define CHIMNEY_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <linux/types.h>

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
/*
 * While held, errors are kept for log_last_error() but not printed: for
 * a caller that reports them in a line of its own (a refused reload:
 * the reason, and that nothing changed).
 */
void log_hold_errors(bool hold);
/* Route libbpf's and libxdp's messages through log_msg(). */
void log_init_libs(void);

/*
 * Rate limiting, as the kernel's printk_ratelimited(): at most burst
 * messages in each window of interval_ns; the rest are counted, and the
 * count is handed back once its window is over, for one line that says
 * how many were not shown. For messages that a peer can cause at will
 * (a refused connection), which must not flood the log. Thread-safe.
 */
struct log_ratelimit {
	pthread_mutex_t lock;
	__u64 interval_ns;
	unsigned int burst;
	/* private */
	__u64 begin;		/* of the window, mono ns; 0: none yet */
	unsigned int printed;	/* in this window */
	unsigned long missed;	/* suppressed in this window */
};

#define LOG_RATELIMIT_INIT(interval, nburst)				\
	{ .lock = PTHREAD_MUTEX_INITIALIZER, .interval_ns = (interval),	\
	  .burst = (nburst) }

/*
 * Whether a message at now_ns (CLOCK_MONOTONIC, any origin) may be
 * printed. *missed: how many were suppressed in windows that ended
 * (0 usually), for the caller to say before its message, or instead of
 * it when suppressed.
 */
bool log_ratelimit(struct log_ratelimit *rl, __u64 now_ns,
		   unsigned long *missed);
/*
 * The messages suppressed in a window that has ended by now_ns, handed
 * back once; 0 while the window lasts. For a periodic flush: the count
 * of the last burst is told even when no message follows it.
 */
unsigned long log_ratelimit_missed(struct log_ratelimit *rl, __u64 now_ns);

#define pr_err(...)	log_msg(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)	log_msg(LOG_WARN, __VA_ARGS__)
#define pr_info(...)	log_msg(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)	log_msg(LOG_DEBUG, __VA_ARGS__)

#endif
