# SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause
#
# bpf/*.bpf.c -> build/*.bpf.o -> build/*.skel.h -> build/chimney
#
# `make V=1` shows the commands. Header dependencies are tracked with
# -MMD for both the BPF objects and the user-space objects.

# BUILD= puts a build elsewhere; BPF_EXTRA= adds BPF compiler flags. The
# upgrade test builds a second binary whose programs differ from the
# default build's in their tags and nothing else:
#   make BUILD=build/salt1 BPF_EXTRA=-DCHIMNEY_BUILD_SALT=1 build/salt1/chimney
BUILD		:= build
BPF_EXTRA	:=
CLANG		?= clang
BPFTOOL		?= bpftool
CC		?= gcc
# The target comes from the toolchain, not from a hard-coded x86: the
# multiarch include directory (asm/ headers) and libbpf's __TARGET_ARCH_*
# (bpf_tracing.h, CO-RE) follow $(CC).
MULTIARCH	:= $(shell $(CC) -print-multiarch 2>/dev/null)
CPU		:= $(firstword $(subst -, ,$(shell $(CC) -dumpmachine)))
BPF_ARCH	:= $(or $(patsubst x86_64,x86,$(patsubst i%86,x86,$(patsubst \
		   aarch64,arm64,$(patsubst arm%,arm,$(patsubst riscv%,riscv,$(patsubst \
		   ppc%,powerpc,$(patsubst s390x,s390,$(patsubst \
		   loongarch%,loongarch,$(patsubst mips%,mips,$(CPU)))))))))),$(CPU))
PKGS		:= libbpf libxdp json-c libpcap libmicrohttpd inih ncurses

# `git describe`-like, a valid Debian version (scripts/version.sh); a
# build outside a git checkout passes it: make CHIMNEY_VERSION=...
CHIMNEY_VERSION	?= $(shell scripts/version.sh)

ifeq ($(V),1)
Q :=
msg :=
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

BPF_CPPFLAGS	:= -target bpf -Iinclude -Ibpf $(if $(MULTIARCH),-I/usr/include/$(MULTIARCH)) \
		   -D__TARGET_ARCH_$(BPF_ARCH)
BPF_CFLAGS	:= $(BPF_CPPFLAGS) -O2 -g -Wall -Werror -MMD -MP $(BPF_EXTRA)
# Debian's hardening defaults (dpkg-buildflags), so the package lintian
# checks is the binary the tests ran.
CFLAGS		?= -O2 -g -fstack-protector-strong -Wformat -Werror=format-security \
		   -D_FORTIFY_SOURCE=2
LDFLAGS		?= -Wl,-z,relro -Wl,-z,now
CFLAGS		+= -Wall -Wextra -Werror -Wno-unused-parameter -Wno-format-truncation -MMD -MP \
		   -Iinclude -I$(BUILD) -Iuser -D_GNU_SOURCE
LDLIBS		= $(shell pkg-config --libs $(PKGS)) -lelf -lz

BPF_SRCS	:= $(wildcard bpf/*.bpf.c)
BPF_OBJS	:= $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS		:= $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))
# Programs that are no hook: the kernel-feature probes of `chimney --version`.
PROBE_SKELS	:= $(patsubst bpf/probe/%.bpf.c,$(BUILD)/%.skel.h,$(wildcard bpf/probe/*.bpf.c))

USER_SRCS	:= $(wildcard user/*.c)
USER_OBJS	:= $(patsubst user/%.c,$(BUILD)/user/%.o,$(USER_SRCS))
# Everything but main(): shared with the unit runner and the bench.
LIB_OBJS	:= $(filter-out $(BUILD)/user/main.o,$(USER_OBJS))

# The test library (the packet builder): linked into the unit runner, the
# bench and the test tools, whose sources see it with TEST_CFLAGS.
TESTLIB_SRCS	:= $(wildcard selftests/lib/*.c)
TESTLIB_OBJS	:= $(patsubst selftests/lib/%.c,$(BUILD)/testlib/%.o,$(TESTLIB_SRCS))
TEST_CFLAGS	= $(CFLAGS) -Iselftests/lib

UNIT_SRCS	:= $(wildcard selftests/unit/*.c)
UNIT_OBJS	:= $(patsubst selftests/unit/%.c,$(BUILD)/unit/%.o,$(UNIT_SRCS))
BENCH_BPF	:= $(BUILD)/xdp_null.bpf.o
# xdp_null.bpf.c is the bench's BPF program (rule below), not host code.
BENCH_SRCS	:= $(filter-out %.bpf.c,$(wildcard selftests/bench/*.c))
BENCH_OBJS	:= $(patsubst selftests/bench/%.c,$(BUILD)/bench/%.o,$(BENCH_SRCS))

# Test tools (raw-socket injectors and the like): one C file each, built
# with the test library.
TOOL_SRCS	:= $(wildcard selftests/tools/*.c)
TOOLS		:= $(patsubst selftests/tools/%.c,$(BUILD)/%,$(TOOL_SRCS))

PROGS		:= $(BUILD)/chimney $(BUILD)/unit_runner $(BUILD)/chimney-bench \
		   $(TOOLS)

# The man page and the bash completion: hand-written templates in deploy/
# whose lists (config keys, counters, verbs) chimney-docgen prints from
# the tables the code runs on (scripts/docfill.sh pastes them in).
DOCGEN		:= $(BUILD)/chimney-docgen
DOCS		:= $(BUILD)/chimney.8 $(BUILD)/chimney.bash-completion
# The man page's date: the last commit's; outside git, pass one.
CHIMNEY_DATE	?= $(shell git log -1 --format=%cs 2>/dev/null)

# Debian 12 packages: build, test and demo needs. `make deps` installs the
# missing ones and does nothing when all are present.
DEB_PKGS	:= make gcc pkg-config clang llvm libbpf-dev libxdp-dev \
		   libelf-dev zlib1g-dev libjson-c-dev libpcap-dev \
		   libinih-dev libmicrohttpd-dev bpftool xdp-tools iproute2 \
		   ethtool iperf3 tcpdump nftables iptables curl procps iputils-ping jq \
		   kmod prometheus groff-base man-db bash-completion \
		   libncurses-dev tmux

.PHONY: all clean deps test unit e2e bench demo FORCE install uninstall deb \
	check-fresh
.SECONDARY:
.DEFAULT_GOAL := all

all: $(PROGS) $(DOCGEN) $(DOCS)

$(BUILD) $(BUILD)/user $(BUILD)/unit $(BUILD)/bench $(BUILD)/testlib:
	$(Q)mkdir -p $@

# Every BPF object first passes the libc tripwire: no glibc header may be
# reached (see bpf/lib/common.h), on any machine.
define bpf_compile
	$(call msg,BPF,$@)
	$(Q)scripts/bpf-libc-check.sh $(CLANG) $< $(BPF_CPPFLAGS)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@
endef

$(BUILD)/%.bpf.o: bpf/%.bpf.c scripts/bpf-libc-check.sh | $(BUILD)
	$(bpf_compile)

$(BUILD)/xdp_null.bpf.o: selftests/bench/xdp_null.bpf.c scripts/bpf-libc-check.sh | $(BUILD)
	$(bpf_compile)

$(BUILD)/%.bpf.o: bpf/probe/%.bpf.c scripts/bpf-libc-check.sh | $(BUILD)
	$(bpf_compile)

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)tmp=$@.tmp.$$$$; \
	$(BPFTOOL) gen skeleton $< name $(subst .bpf.o,,$(notdir $<)) > $$tmp && \
	mv $$tmp $@

# Every C object may include a skeleton; generate them all first.
$(USER_OBJS) $(UNIT_OBJS) $(BENCH_OBJS): | $(SKELS) $(PROBE_SKELS) $(BUILD)/xdp_null.skel.h $(BUILD)/version.h

# `chimney --version` compares the libbpf and libxdp it runs with to the
# ones it was linked against, named the same way: by the real file behind
# the linker's libNAME.so (libxdp.so.1.3.0 -> 1.3.0), pkg-config's version
# where there is no such file (a static build).
lib_version = $(or $(shell readlink -f "$$(pkg-config --variable=libdir $(1))/$(1).so" \
		2>/dev/null | sed -n 's/.*\.so\.//p'),$(shell pkg-config --modversion $(1)))
$(BUILD)/user/version.o: CFLAGS += -DCHIMNEY_BUILD_LIBBPF='"$(call lib_version,libbpf)"' \
				   -DCHIMNEY_BUILD_LIBXDP='"$(call lib_version,libxdp)"'

# Rewritten only when the version changes, so a commit rebuilds one object.
$(BUILD)/version.h: FORCE | $(BUILD)
	$(Q)v='#define CHIMNEY_VERSION "$(CHIMNEY_VERSION)"'; \
	[ "$$(cat $@ 2>/dev/null)" = "$$v" ] || echo "$$v" > $@

$(BUILD)/user/%.o: user/%.c | $(BUILD)/user
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/testlib/%.o: selftests/lib/%.c | $(BUILD)/testlib
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/unit/%.o: selftests/unit/%.c | $(BUILD)/unit
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/bench/%.o: selftests/bench/%.c | $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) -c $< -o $@

$(BUILD)/chimney: $(USER_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/unit_runner: $(UNIT_OBJS) $(TESTLIB_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/chimney-bench: $(BENCH_OBJS) $(TESTLIB_OBJS) $(LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

$(DOCGEN): scripts/docgen.c $(LIB_OBJS) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(LDFLAGS) $(filter %.c %.o,$^) $(LDLIBS) -o $@

# version.h changes exactly when the version does.
$(DOCS): $(BUILD)/%: deploy/%.in $(DOCGEN) scripts/docfill.sh $(BUILD)/version.h
	$(call msg,GEN,$@)
	$(Q)scripts/docfill.sh $(DOCGEN) '$(CHIMNEY_VERSION)' '$(CHIMNEY_DATE)' $< $@

# The tools write pcaps and parse addresses with chimney's own code.
TOOL_USER_OBJS	:= $(BUILD)/user/trace_pcap.o $(BUILD)/user/netaddr.o
$(TOOLS): $(BUILD)/%: selftests/tools/%.c $(TESTLIB_OBJS) $(TOOL_USER_OBJS) | $(BUILD)
	$(call msg,CC,$@)
	$(Q)$(CC) $(TEST_CFLAGS) $(LDFLAGS) $(filter %.c %.o,$^) \
		$(shell pkg-config --libs libpcap) -o $@

# apt_ensure: install the missing ones of a package list, idempotently.
apt_ensure = missing=$$(for p in $(1); do \
		dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | \
		grep -q 'install ok installed' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "deps: installing" $$missing; \
		apt-get update && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y --no-install-recommends $$missing; \
	else \
		echo "deps: all Debian packages present"; \
	fi

deps:
	$(Q)$(call apt_ensure,$(DEB_PKGS))

# deps first, then a fresh make so pkg-config sees the installed packages.
test: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)selftests/run.sh

unit: all
	$(Q)selftests/run.sh unit

e2e: all
	$(Q)selftests/run.sh e2e

bench: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(BUILD)/chimney-bench

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)deploy/demo.sh

# ---- installing, like a package ----
#
# make install [PREFIX=/usr/local] [DESTDIR=...]; make uninstall with the
# same variables removes exactly what install wrote. The config is
# /etc/chimney/chimney.conf whatever PREFIX is (the unit names it), is
# never overwritten, and is removed only while it is the unchanged example.
PREFIX		?= /usr/local
SYSCONFDIR	?= /etc
SBINDIR		:= $(PREFIX)/sbin
MAN8DIR		:= $(PREFIX)/share/man/man8
BASHCOMPDIR	:= $(PREFIX)/share/bash-completion/completions
# Debian 12 keeps packaged units in /lib/systemd/system; systemd also
# reads /usr/local/lib/systemd/system for a local install.
UNITDIR		?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,$(PREFIX)/lib/systemd/system)
CONF		:= $(SYSCONFDIR)/chimney/chimney.conf
INSTALL_DOCS	:= $(BUILD)/chimney.8 $(BUILD)/chimney.bash-completion

# The unit's paths follow PREFIX and SYSCONFDIR.
$(BUILD)/chimney.service: deploy/chimney.service Makefile | $(BUILD)
	$(call msg,GEN,$@)
	$(Q)sed -e 's|/usr/sbin/chimney|$(SBINDIR)/chimney|g' \
		-e 's|/etc/chimney/chimney.conf|$(CONF)|g' $< > $@.tmp && mv $@.tmp $@

# FORCE: PREFIX may differ from the last build's.
$(BUILD)/chimney.service: FORCE

install: $(BUILD)/chimney $(INSTALL_DOCS) $(BUILD)/chimney.service
	install -D -m 0755 $(BUILD)/chimney $(DESTDIR)$(SBINDIR)/chimney
	install -D -m 0644 $(BUILD)/chimney.8 $(DESTDIR)$(MAN8DIR)/chimney.8
	install -D -m 0644 $(BUILD)/chimney.bash-completion $(DESTDIR)$(BASHCOMPDIR)/chimney
	install -D -m 0644 $(BUILD)/chimney.service $(DESTDIR)$(UNITDIR)/chimney.service
	@if [ -e $(DESTDIR)$(CONF) ]; then \
		echo "install: keeping the existing $(DESTDIR)$(CONF)"; \
	else \
		echo install -D -m 0644 deploy/chimney.conf.example $(DESTDIR)$(CONF); \
		install -D -m 0644 deploy/chimney.conf.example $(DESTDIR)$(CONF); \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/chimney $(DESTDIR)$(MAN8DIR)/chimney.8 \
		$(DESTDIR)$(BASHCOMPDIR)/chimney $(DESTDIR)$(UNITDIR)/chimney.service
	@# the directories install may have created, while empty
	@for d in $(MAN8DIR) $(BASHCOMPDIR) $(dir $(BASHCOMPDIR)) $(UNITDIR) \
		  $(dir $(UNITDIR)); do \
		rmdir --ignore-fail-on-non-empty $(DESTDIR)$$d 2>/dev/null || true; \
	done
	@if [ -e $(DESTDIR)$(CONF) ]; then \
		if cmp -s deploy/chimney.conf.example $(DESTDIR)$(CONF); then \
			echo rm -f $(DESTDIR)$(CONF); rm -f $(DESTDIR)$(CONF); \
			rmdir $(DESTDIR)$(SYSCONFDIR)/chimney 2>/dev/null || true; \
		else \
			echo "uninstall: keeping $(DESTDIR)$(CONF): it differs from the example"; \
		fi; \
	fi

# A .deb of the same files (PREFIX=/usr), its Depends computed by
# dpkg-shlibdeps (scripts/mkdeb.sh).
deb: $(BUILD)/chimney $(INSTALL_DOCS)
	$(Q)$(call apt_ensure,dpkg-dev)
	$(Q)scripts/mkdeb.sh $(BUILD) "$(CHIMNEY_VERSION)"

# A debootstrapped Debian 12 proves the README's commands on a machine
# with nothing installed by hand (scripts/check-fresh.sh).
check-fresh:
	$(Q)$(call apt_ensure,debootstrap lintian)
	$(Q)scripts/check-fresh.sh

clean:
	$(Q)rm -rf $(BUILD)

-include $(wildcard $(BUILD)/*.d $(BUILD)/*/*.d)
