# SPDX-License-Identifier: GPL-2.0-or-later
# portgate — plain Makefile. `make` builds build/portgated, build/portgatectl and
# build/portgate-client.
#   make check            every test (unit, then the network-namespace tests as root)
#   make check SANITIZE=1 the same under ASan+UBSan (in build/san)
#   make fuzz             libFuzzer on every parser of untrusted bytes (clang),
#                         FUZZ_SECONDS (20) each
#   make demo             the gateway's main job in a throwaway namespace lab
#   make demo-client      the client's: qBittorrent told the forwarded port
#   make container        the gateway's image (podman); container-check tests it
#   make bench            the performance benchmarks (not part of check)
#   make install          honours PREFIX and DESTDIR (install-gateway, install-client)

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
BINDIR ?= $(PREFIX)/bin
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

CC ?= cc
AR ?= ar
PKG_CONFIG ?= pkg-config
VERSION := 0.1.0
PKGS := libnftnl libmnl yaml-0.1 libmicrohttpd jansson libcap-ng
# The client alone talks HTTP to apps: only it links libcurl.
CLIENT_PKGS := libcurl

ifeq ($(SANITIZE),1)
BUILD ?= build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT ?= -O1
else
BUILD ?= build
SAN_FLAGS :=
OPT ?= -O2
endif

# CFLAGS, CPPFLAGS and LDFLAGS are the packager's (command line or
# environment): the project's own flags are added beside them, never lost.
# WERROR=0 turns -Werror off; make check and CI keep it on.
WERROR ?= 1
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes
ifeq ($(WERROR),1)
WARN += -Werror
endif
# Recursively expanded on purpose: pkg-config runs when a recipe runs, after
# `make check` has installed what a fresh machine lacks.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) $(CLIENT_PKGS))
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS))
CLIENT_LIBS = $(shell $(PKG_CONFIG) --libs $(CLIENT_PKGS))
CFLAGS ?= -g $(OPT)
PG_CPPFLAGS := -Isrc -D_GNU_SOURCE -DPORTGATE_VERSION=\"$(VERSION)\"
ALL_CFLAGS = $(PG_CPPFLAGS) $(CPPFLAGS) -std=gnu11 $(WARN) $(CFLAGS) $(SAN_FLAGS) $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)


MAINS := src/daemon/portgated.c src/ctl/portgatectl.c src/client/portgate-client.c
LIB_SRCS := $(filter-out $(MAINS),$(wildcard src/*/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libportgate.a
# Unit tests of the daemon core link a fake data plane (tests/unit/fake_nft.c)
# instead of src/nft: chosen at link time, no #ifdef in the daemon.
CORE_OBJS := $(filter-out $(BUILD)/src/nft/%,$(LIB_OBJS))
CORE_LIB := $(BUILD)/libportgate-core.a
FAKE_OBJS := $(BUILD)/tests/unit/fake_nft.o $(BUILD)/tests/unit/core_harness.o

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# Tests whose name starts with test_core_ get the fake data plane.
CORE_UNIT_BINS := $(filter $(BUILD)/tests/test_core_%,$(UNIT_BINS))
NETNS_SRCS := $(wildcard tests/netns/*.c)
NETNS_BINS := $(NETNS_SRCS:tests/netns/%.c=$(BUILD)/tests/netns/%)

.SECONDARY:

.PHONY: all deps check check-vm unit selftest netns fuzz demo demo-client container container-check bench install install-gateway install-client install-check clean print-UNITDIR print-VERSION

all: $(BUILD)/portgated $(BUILD)/portgatectl $(BUILD)/portgate-client

# Installs Debian packages: only the targets that need test tools call it
# (check, demo, bench, fuzz); plain `make` never runs apt or dpkg.
deps:
	@scripts/install-deps

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The web page's files are built into the daemon (.incbin).
$(BUILD)/src/daemon/webassets.o: $(wildcard web/*)

$(LIB): $(LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(CORE_LIB): $(CORE_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/portgated: $(BUILD)/src/daemon/portgated.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/portgatectl: $(BUILD)/src/ctl/portgatectl.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/portgate-client: $(BUILD)/src/client/portgate-client.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(CLIENT_LIBS)

$(CORE_UNIT_BINS): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(FAKE_OBJS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

$(filter-out $(CORE_UNIT_BINS),$(UNIT_BINS)): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $(TEST_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS) -lcmocka

# The client's app clients talk HTTP.
$(BUILD)/tests/test_client: TEST_LIBS = $(CLIENT_LIBS)

# Allocations of the mapping state fail on the test's command.
$(BUILD)/tests/test_mapping_oom: TEST_LDFLAGS = -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc

$(BUILD)/tests/netns/%: $(BUILD)/tests/netns/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

unit: $(UNIT_BINS)
	@failed=0; for t in $(UNIT_BINS); do \
		echo "== $$t"; $$t || failed=1; \
	done; exit $$failed

# The namespace tests' own helpers: a check that cannot fail is a defect.
selftest:
	@tests/netns/selftest

netns: all $(NETNS_BINS)
	@BUILD=$(BUILD) tests/netns/run-all

check: deps
	@$(MAKE) --no-print-directory WERROR=1 unit
	@$(MAKE) --no-print-directory selftest
	@$(MAKE) --no-print-directory WERROR=1 install-check
	@$(MAKE) --no-print-directory WERROR=1 netns

# The namespace tests in a VM that boots Debian 12's own kernel (6.1) with
# kernel WireGuard (tests/vm/check, scripts/vm); VM_TESTS="test_x.sh ..."
# picks scripts. Not part of check yet.
check-vm: deps
	@$(MAKE) --no-print-directory WERROR=1 all $(NETNS_BINS)
	@BUILD=$(BUILD) tests/vm/check

fuzz: deps
	@BUILD=build/fuzz tests/fuzz/run $(or $(FUZZ_SECONDS),20)

demo: deps
	@$(MAKE) --no-print-directory all $(NETNS_BINS)
	@BUILD=$(BUILD) tests/netns/demo

# The gateway's container image (podman; debian:12 made with mmdebstrap
# when no registry is reachable), and its check in the namespace lab (also
# part of make check, reported as skipped without podman).
container: deps
	@scripts/container-image

container-check: deps
	@$(MAKE) --no-print-directory all $(NETNS_BINS)
	@BUILD=$(BUILD) bash tests/netns/test_container.sh

demo-client: deps
	@$(MAKE) --no-print-directory all $(NETNS_BINS)
	@BUILD=$(BUILD) tests/netns/demo-client

$(BUILD)/tests/bench/pgbench: tests/bench/pgbench.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=gnu11 $(WARN) -O2 $(LDFLAGS) -o $@ $<

bench: deps
	@$(MAKE) --no-print-directory all $(NETNS_BINS) $(BUILD)/tests/bench/pgbench
	@BUILD=$(BUILD) tests/bench/run

print-VERSION:
	@echo $(VERSION)

# Where systemd looks for units on this system, else Debian's place.
UNITDIR ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)

# install: both; a gateway-only image (contrib/container) takes install-gateway.
install: install-gateway install-client

install-gateway: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/portgate \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/portgated $(BUILD)/portgatectl $(DESTDIR)$(SBINDIR)/
	# An operator's policy is never overwritten: the example goes beside it.
	install -m 0644 conf/portgate.yaml $(DESTDIR)$(SYSCONFDIR)/portgate/portgate.yaml.example
	@if [ -e $(DESTDIR)$(SYSCONFDIR)/portgate/portgate.yaml ]; then \
		echo "kept $(DESTDIR)$(SYSCONFDIR)/portgate/portgate.yaml (the new example is portgate.yaml.example)"; \
	else \
		install -m 0644 conf/portgate.yaml $(DESTDIR)$(SYSCONFDIR)/portgate/portgate.yaml; \
	fi
	install -m 0644 man/portgated.8 man/portgatectl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/portgate.yaml.5 $(DESTDIR)$(MANDIR)/man5/
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		contrib/systemd/portgated.service >$(DESTDIR)$(UNITDIR)/portgated.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/portgated.service

# The client: a user's tool, no privilege; its example only (the tunnel and
# the apps are the user's to name).
install-client: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/portgate \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/portgate-client $(DESTDIR)$(BINDIR)/
	install -m 0644 conf/portgate-client.yaml \
		$(DESTDIR)$(SYSCONFDIR)/portgate/portgate-client.yaml.example
	install -m 0644 man/portgate-client.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/portgate-client.yaml.5 $(DESTDIR)$(MANDIR)/man5/
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		contrib/systemd/portgate-client.service >$(DESTDIR)$(UNITDIR)/portgate-client.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/portgate-client.service

# The installed layout, checked on a scratch DESTDIR (part of make check).
install-check: all
	@tests/install-check

print-UNITDIR:
	@echo $(UNITDIR)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
