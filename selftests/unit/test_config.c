// SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
/*
 * Writers of a pinned config, raced. `chimney set` and `chimney mss
 * add|del` each read the whole config value, change their part and write
 * it back; without a lock around that, a writer that read before
 * another's write overwrites it with the old value: a key set in vain,
 * or an mss_rules_v4 count that no longer matches the trie (XDP then
 * skips the lookup of a rule that exists).
 *
 * The instance is pinned the way attach pins it (the TC object's maps
 * and the cpumap program, staged and published), in a private bpffs
 * directory, without attaching anything: the writers only need the
 * pins.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include <chimney/flow.h>
#include <chimney/mss.h>


#include "chimney.h"
#include "config.h"
#include "instance.h"
#include "test.h"

#define RACE_ROUNDS	1000

struct pinned {
	struct instance inst;
	bool opened;
	char root[64];
	struct chimney_ctx ctx;
};

static void pinned_destroy(struct pinned *p)
{
	if (p->ctx.pin_dir[0])
		unpin_instance(p->ctx.pin_dir);
	rmdir(p->root);
	if (p->opened)
		instance_close(&p->inst);
}

/* Load, write a config and pin, through attach's own loader. */
static bool pinned_create(struct pinned *p)
{
	struct instance_opts opts = { .verb = "unit", .flow_size = 1024,
				      .load_only = true };
	struct chimney_config cfg;

	memset(p, 0, sizeof(*p));
	if (!ASSERT_OK(bpffs_ensure(), "bpffs"))
		return false;
	if (!ASSERT_OK(instance_open(&p->inst, &opts), "open"))
		return false;
	p->opened = true;
	if (!ASSERT_OK(instance_load(&p->inst), "load"))
		return false;
	/* Steering on, as on a loaded server: every commit rewrites the
	 * indirection table between its read and its write, which is
	 * where a writer without the lock loses another's update. */
	config_defaults(&cfg);
	if (!ASSERT_OK(config_apply_kv(&cfg, 2, (char *[]){ "flow.size=1024",
							    "cpus=0" },
				       "test"), "config") ||
	    !ASSERT_OK(instance_commit(&p->inst, &cfg), "commit"))
		return false;

	snprintf(p->root, sizeof(p->root), "/sys/fs/bpf/chimney-unit-cfg-%d",
		 getpid());
	if (!ASSERT_OK(mkdir(p->root, 0700) ? -errno : 0, "mkdir root"))
		return false;
	p->ctx.ifname = "race0";
	snprintf(p->ctx.pin_dir, sizeof(p->ctx.pin_dir), "%s/%s", p->root,
		 p->ctx.ifname);
	return ASSERT_OK(instance_pin(&p->inst, p->ctx.pin_dir), "pin") &&
	       ASSERT_OK(instance_publish(&p->inst), "publish");
}

static int trie4_count(int fd)
{
	struct chimney_mss_key4 key, next;
	void *prev = NULL;
	int n = 0;

	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		n++;
	}
	return n;
}

enum writer {
	W_SAMPLE_RATE,		/* set csum.sample_rate=R+1 */
	W_UDP_TIMEOUT,		/* set flow.timeout.udp=(R+1)s */
	W_MSS,			/* set mss=100+R */
	W_RULE,			/* mss add (even R) / del (odd R) 10.99.0.0/16 */
	W_MAX,
};

static const char *const writer_names[W_MAX] = {
	"set csum.sample_rate", "set flow.timeout.udp", "set mss",
	"mss add/del (rule count)",
};

/* Rounds: the main thread opens round r, the writers each write once
 * and count themselves done; all wake on one broadcast. */
struct race {
	struct pinned *p;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int round;		/* the round open for writing; -1: none yet */
	int done;		/* writes finished, over all rounds */
	bool stop;
	int errors[W_MAX];
};

struct writer_arg {
	struct race *race;
	enum writer w;
};

static int write_one(const struct chimney_ctx *ctx, enum writer w, int r)
{
	struct chimney_mss_key4 k4 = { .prefixlen = 16, .addr = { 10, 99 } };
	struct chimney_mss_rule rule = { .mss = 1300 };
	char kv[64], *items[] = { kv };

	switch (w) {
	case W_SAMPLE_RATE:
		snprintf(kv, sizeof(kv), "csum.sample_rate=%d", r + 1);
		break;
	case W_UDP_TIMEOUT:
		snprintf(kv, sizeof(kv), "flow.timeout.udp=%ds", r + 1);
		break;
	case W_MSS:
		snprintf(kv, sizeof(kv), "mss=%d", 100 + r);
		break;
	default:
		return mss_rule_update(ctx, 4, &k4, r % 2 ? NULL : &rule,
				       "10.99.0.0/16");
	}
	return config_update_kv(ctx, 1, items, "set");
}

/* One writer: one write per round, all writers let go at once. */
static void *writer_thread(void *p)
{
	struct writer_arg *a = p;
	struct race *race = a->race;
	bool stop;
	int r, err;

	for (r = 0; r < RACE_ROUNDS; r++) {
		pthread_mutex_lock(&race->lock);
		while (race->round < r && !race->stop)
			pthread_cond_wait(&race->cond, &race->lock);
		stop = race->stop;
		pthread_mutex_unlock(&race->lock);
		if (stop)
			break;
		err = write_one(&race->p->ctx, a->w, r);
		pthread_mutex_lock(&race->lock);
		race->errors[a->w] += !!err;
		race->done++;
		pthread_cond_broadcast(&race->cond);
		pthread_mutex_unlock(&race->lock);
	}
	return NULL;
}

/*
 * RACE_ROUNDS rounds of three `set`s of different keys and an `mss
 * add` or `del`, started together; after each, every key must hold the
 * round's value and the config's rule count the trie's.
 */
UNIT_TEST(config_writers_race)
{
	struct writer_arg args[W_MAX];
	pthread_t tids[W_MAX];
	int lost[W_MAX] = {}, rounds_lost = 0, started = 0, fd4 = -1;
	struct race race = { .lock = PTHREAD_MUTEX_INITIALIZER,
			     .cond = PTHREAD_COND_INITIALIZER, .round = -1 };
	struct pinned p;
	int r, i;

	if (!pinned_create(&p))
		goto out;
	fd4 = pin_open(&p.ctx, "mss_rules_v4");
	if (!ASSERT_TRUE(fd4 >= 0, "open mss_rules_v4"))
		goto out;
	race.p = &p;
	for (i = 0; i < W_MAX; i++) {
		args[i] = (struct writer_arg){ &race, i };
		if (pthread_create(&tids[i], NULL, writer_thread, &args[i]))
			break;
		started++;
	}
	for (r = 0; started == W_MAX && r < RACE_ROUNDS; r++) {
		struct chimney_config cfg;
		bool any = false;
		int n;

		pthread_mutex_lock(&race.lock);
		race.round = r;
		pthread_cond_broadcast(&race.cond);
		while (race.done < (r + 1) * W_MAX)
			pthread_cond_wait(&race.cond, &race.lock);
		pthread_mutex_unlock(&race.lock);
		if (!ASSERT_OK(instance_read_config(&p.ctx, &cfg), "read config"))
			break;
		n = trie4_count(fd4);
		if (cfg.csum_sample_rate != (__u32)r + 1 && ++lost[W_SAMPLE_RATE])
			any = true;
		if (cfg.flow_timeout_ms[FLOW_ST_udp] != (__u32)(r + 1) * 1000 &&
		    ++lost[W_UDP_TIMEOUT])
			any = true;
		if (cfg.mss_fixed != (__u32)100 + r && ++lost[W_MSS])
			any = true;
		if ((cfg.mss_rules_v4 != (__u32)n || n != (r % 2 ? 0 : 1)) &&
		    ++lost[W_RULE])
			any = true;
		rounds_lost += any;
	}
	pthread_mutex_lock(&race.lock);
	race.stop = true;
	pthread_cond_broadcast(&race.cond);
	pthread_mutex_unlock(&race.lock);
	for (i = 0; i < started; i++)
		pthread_join(tids[i], NULL);
	if (!ASSERT_EQ(started, W_MAX, "writer threads"))
		goto out;

	unit_log("%d of %d rounds lost an update (%.1f%%)\n", rounds_lost,
		 RACE_ROUNDS, 100.0 * rounds_lost / RACE_ROUNDS);
	for (i = 0; i < W_MAX; i++)
		unit_log("  %-26s lost %4d, failed %d\n", writer_names[i],
			 lost[i], race.errors[i]);
	ASSERT_EQ(rounds_lost, 0, "rounds with a lost update");
	for (i = 0; i < W_MAX; i++)
		ASSERT_EQ(race.errors[i], 0, writer_names[i]);
out:
	if (fd4 >= 0)
		close(fd4);
	pinned_destroy(&p);
}

/*
 * `chimney run` holds the pin directory's flock for as long as it
 * serves the instance: a config write must not wait for it (the config
 * lock is another one). In a child, so that a wait ends in SIGALRM
 * instead of a hung runner.
 */
UNIT_TEST(config_update_while_daemon_serves)
{
	char *kv[] = { "csum.sample_rate=42" };
	struct chimney_config cfg;
	struct pinned p;
	int dfd = -1, status;
	pid_t pid;

	if (!pinned_create(&p))
		goto out;
	dfd = open(p.ctx.pin_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (!ASSERT_TRUE(dfd >= 0, "open pin dir") ||
	    !ASSERT_OK(flock(dfd, LOCK_EX | LOCK_NB) ? -errno : 0,
		       "the daemon's lock"))
		goto out;
	pid = fork();
	if (pid == 0) {
		alarm(5);
		_exit(config_update_kv(&p.ctx, 1, kv, "set") ? 1 : 0);
	}
	if (!ASSERT_TRUE(pid > 0, "fork") ||
	    !ASSERT_EQ(waitpid(pid, &status, 0), pid, "waitpid"))
		goto out;
	if (!ASSERT_FALSE(WIFSIGNALED(status), "set waited for the daemon's lock"))
		goto out;
	ASSERT_EQ(WEXITSTATUS(status), 0, "set");
	if (ASSERT_OK(instance_read_config(&p.ctx, &cfg), "read config"))
		ASSERT_EQ(cfg.csum_sample_rate, 42, "written");
out:
	if (dfd >= 0)
		close(dfd);
	pinned_destroy(&p);
}
