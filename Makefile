# SPDX-License-Identifier: GPL-2.0-or-later
# portgate — plain Makefile. `make` builds build/portgated, build/portgatectl and
# build/portgate-client.
#   make check            every test (unit, the network-namespace tests as root,
#                         then chosen ones in a VM on Debian 12's 6.1: check-vm)
#   make check SANITIZE=1 the same under ASan+UBSan (in build/san)
#   make fuzz             libFuzzer on every parser of untrusted bytes (clang),
#                         FUZZ_SECONDS (20) each; 0 builds them and runs their seeds (check)
#   make demo             the gateway's main job in a throwaway namespace lab
#   make demo-client      the client's: qBittorrent told the forwarded port
#   make container        the gateway's image (podman); container-check tests it
#   make bench            the performance benchmarks (not part of check)
#   make install          honours PREFIX and DESTDIR (install-gateway, install-client);
#                         make uninstall takes it away again (an edited policy stays)
#   make client           portgate-client alone: needs neither libnftnl nor libcap-ng
#   make package-check    the Debian packages built and installed in a clean Debian 12
#                         root (mmdebstrap; part of make check, a reported skip without)

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
# The gateway alone parses UPnP's SOAP (src/upnp): only it links expat.
GATEWAY_PKGS := expat
# The client alone talks HTTP to apps: only it links libcurl.
CLIENT_PKGS := libcurl
# What the client's own build needs, so that a torrent box builds and runs it
# without the gateway's libraries (libnftnl, libcap-ng): its sources are
# these directories, compiled with these packages' flags only.
CLIENT_ONLY_PKGS := libmnl yaml-0.1 libmicrohttpd jansson libcurl
CLIENT_DIRS := src/client src/natpmp src/util src/wgpeer

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
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS) $(GATEWAY_PKGS) $(CLIENT_PKGS))
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS))
CLIENT_LIBS = $(shell $(PKG_CONFIG) --libs $(CLIENT_PKGS))
CLIENT_ONLY_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(CLIENT_ONLY_PKGS))
CLIENT_ONLY_LIBS = $(shell $(PKG_CONFIG) --libs $(CLIENT_ONLY_PKGS))
GATEWAY_LIBS = $(shell $(PKG_CONFIG) --libs $(GATEWAY_PKGS))
CFLAGS ?= -g $(OPT)
PG_CPPFLAGS := -Isrc -D_GNU_SOURCE -DPORTGATE_VERSION=\"$(VERSION)\" \
	-DPORTGATE_SYSCONFDIR=\"$(SYSCONFDIR)\"
ALL_CFLAGS = $(PG_CPPFLAGS) $(CPPFLAGS) -std=gnu11 $(WARN) $(CFLAGS) $(SAN_FLAGS) $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)


MAINS := src/daemon/portgated.c src/ctl/portgatectl.c src/client/portgate-client.c
LIB_SRCS := $(filter-out $(MAINS),$(wildcard src/*/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libportgate.a
# Unit tests of the daemon core link a fake data plane (tests/unit/fake_nft.c)
# instead of src/nft (but its table modes' names), src/ctnl and src/sockdiag:
# chosen at link time, no #ifdef in the daemon.
FAKED_DIRS := src/nft src/ctnl src/sockdiag
CORE_OBJS := $(filter-out $(FAKED_DIRS:%=$(BUILD)/%/%),$(LIB_OBJS)) $(BUILD)/src/nft/tablemode.o
CORE_LIB := $(BUILD)/libportgate-core.a
CLIENT_LIB_OBJS := $(filter $(CLIENT_DIRS:%=$(BUILD)/%/%),$(LIB_OBJS))
CLIENT_LIB := $(BUILD)/libportgate-client.a
FAKE_OBJS := $(BUILD)/tests/unit/fake_nft.o $(BUILD)/tests/unit/core_harness.o

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
# Tests whose name starts with test_core_ get the fake data plane.
CORE_UNIT_BINS := $(filter $(BUILD)/tests/test_core_%,$(UNIT_BINS))
NETNS_SRCS := $(wildcard tests/netns/*.c)
NETNS_BINS := $(NETNS_SRCS:tests/netns/%.c=$(BUILD)/tests/netns/%)

.SECONDARY:

.PHONY: all gateway client deps check check-vm unit selftest netns fuzz demo demo-client container container-check bench install install-gateway install-client install-check uninstall package-check doc-check clean print-UNITDIR print-SYSUSERSDIR print-TMPFILESDIR print-VERSION

all: gateway client
gateway: $(BUILD)/portgated $(BUILD)/portgatectl
client: $(BUILD)/portgate-client

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

$(CLIENT_LIB): $(CLIENT_LIB_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

# The client's objects see only the client's packages (their .d files show
# it: tests/install-check).
$(CLIENT_LIB_OBJS) $(BUILD)/src/client/portgate-client.o: PKG_CFLAGS = $(CLIENT_ONLY_CFLAGS)

$(BUILD)/portgated: $(BUILD)/src/daemon/portgated.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(GATEWAY_LIBS)

$(BUILD)/portgatectl: $(BUILD)/src/ctl/portgatectl.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/portgate-client: $(BUILD)/src/client/portgate-client.o $(CLIENT_LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(CLIENT_ONLY_LIBS)

$(CORE_UNIT_BINS): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(FAKE_OBJS) $(CORE_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(GATEWAY_LIBS) -lcmocka

$(filter-out $(CORE_UNIT_BINS),$(UNIT_BINS)): $(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) $(TEST_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(TEST_LIBS) -lcmocka

# The client's app clients talk HTTP.
$(BUILD)/tests/test_client: TEST_LIBS = $(CLIENT_LIBS)
# The UPnP layer's SOAP parser is expat.
$(BUILD)/tests/test_upnp_%: TEST_LIBS = $(GATEWAY_LIBS)

# Allocations of the mapping state fail on the test's command.
$(BUILD)/tests/test_mapping_oom: TEST_LDFLAGS = -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=realloc

$(BUILD)/tests/netns/%: $(BUILD)/tests/netns/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) $(NETNS_LIBS)

# The UPnP layer on sockets for real clients (tests/netns/test_upnp_layer.sh).
$(BUILD)/tests/netns/upnplayer: NETNS_LIBS = $(GATEWAY_LIBS)

unit: $(UNIT_BINS)
	@failed=0; for t in $(UNIT_BINS); do \
		echo "== $$t"; $$t || failed=1; \
	done; exit $$failed

# The namespace tests' own helpers: a check that cannot fail is a defect.
selftest:
	@tests/netns/selftest

netns: all $(NETNS_BINS)
	@BUILD=$(BUILD) tests/netns/run-all

# The VM part last: its summary line ("vm: N passed, ... (Linux 6.1...,
# kernel WireGuard; N s)") is the last thing check prints.
check: deps
	@$(MAKE) --no-print-directory WERROR=1 unit
	@$(MAKE) --no-print-directory selftest
	@tests/doc-check
	@$(MAKE) --no-print-directory WERROR=1 install-check
	@$(MAKE) --no-print-directory package-check
	@BUILD=build/fuzz tests/fuzz/run 0
	@$(MAKE) --no-print-directory WERROR=1 netns
	@$(MAKE) --no-print-directory check-vm

# The namespace tests in a VM that boots Debian 12's own kernel (6.1) with
# kernel WireGuard (tests/vm/check, scripts/vm); VM_TESTS="test_x.sh ..."
# picks scripts (tests/vm/check lists the default, run by make check).
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

$(BUILD)/tests/bench/pgbench: tests/bench/pgbench.c tests/bench/benchclock.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=gnu11 $(WARN) -O2 $(LDFLAGS) -o $@ $<

# Where the mapping state's bytes and time go (docs/performance.md).
$(BUILD)/tests/bench/mapmem: tests/bench/mapmem.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^

# The UPnP load generator: SOAP calls over HTTP, one at a time.
$(BUILD)/tests/bench/upnpbench: tests/bench/upnpbench.c tests/bench/benchclock.h
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -std=gnu11 $(WARN) -O2 $(LDFLAGS) -o $@ $<

bench: deps
	@$(MAKE) --no-print-directory all $(NETNS_BINS) $(BUILD)/tests/bench/pgbench \
		$(BUILD)/tests/bench/upnpbench
	@BUILD=$(BUILD) tests/bench/run

print-VERSION:
	@echo $(VERSION)

# Where systemd looks for units, users and directories on this system, else
# Debian's places (systemd reads none of them under /usr/local).
UNITDIR ?= $(or $(shell $(PKG_CONFIG) --variable=systemdsystemunitdir systemd 2>/dev/null),/lib/systemd/system)
SYSUSERSDIR ?= $(or $(shell $(PKG_CONFIG) --variable=sysusersdir systemd 2>/dev/null),/usr/lib/sysusers.d)
TMPFILESDIR ?= $(or $(shell $(PKG_CONFIG) --variable=tmpfilesdir systemd 2>/dev/null),/usr/lib/tmpfiles.d)

# install: both; a gateway-only image (contrib/container) takes install-gateway.
install: install-gateway install-client

install-gateway: gateway
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/portgate \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR) $(DESTDIR)$(TMPFILESDIR)
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
	install -m 0644 contrib/systemd/portgate.sysusers $(DESTDIR)$(SYSUSERSDIR)/portgate.conf
	install -m 0644 contrib/systemd/portgate.tmpfiles $(DESTDIR)$(TMPFILESDIR)/portgate.conf
	@# On the running system (no DESTDIR): the user and the directories now,
	@# as a package's postinst would make them, so the unit starts at once.
	@if [ -z "$(DESTDIR)" ] && command -v systemd-sysusers >/dev/null; then \
		systemd-sysusers $(SYSUSERSDIR)/portgate.conf && \
		systemd-tmpfiles --create $(TMPFILESDIR)/portgate.conf; \
	elif [ -z "$(DESTDIR)" ]; then \
		echo "no systemd-sysusers: make the user portgate and /run/portgate yourself"; \
	fi

# The client: a user's tool, no privilege; its example only (the tunnel and
# the apps are the user's to name).
install-client: client
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(SYSCONFDIR)/portgate \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/portgate-client $(DESTDIR)$(BINDIR)/
	install -m 0644 conf/portgate-client.yaml \
		$(DESTDIR)$(SYSCONFDIR)/portgate/portgate-client.yaml.example
	install -m 0644 man/portgate-client.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/portgate-client.yaml.5 $(DESTDIR)$(MANDIR)/man5/
	sed -e 's|@BINDIR@|$(BINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		contrib/systemd/portgate-client@.service >$(DESTDIR)$(UNITDIR)/portgate-client@.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/portgate-client@.service

# The installed layout, checked on a scratch DESTDIR (part of make check).
install-check: all
	@tests/install-check

# portgate.yaml(5) says what a reload does with every key, as the code does.
doc-check:
	@tests/doc-check

# The Debian packages (debian/) built and installed in a clean Debian 12
# root (part of make check; a reported skip without mmdebstrap or a mirror).
package-check:
	@tests/package-check

# What install put in place, taken away. The operator's policy stays when
# it was edited, the user portgate and /var/lib/portgate stay (userdel and
# rm are the operator's call), and a running portgated's table stays.
uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/portgated $(DESTDIR)$(SBINDIR)/portgatectl \
		$(DESTDIR)$(BINDIR)/portgate-client \
		$(DESTDIR)$(MANDIR)/man8/portgated.8 $(DESTDIR)$(MANDIR)/man8/portgatectl.8 \
		$(DESTDIR)$(MANDIR)/man8/portgate-client.8 $(DESTDIR)$(MANDIR)/man5/portgate.yaml.5 \
		$(DESTDIR)$(MANDIR)/man5/portgate-client.yaml.5 \
		$(DESTDIR)$(UNITDIR)/portgated.service $(DESTDIR)$(UNITDIR)/portgate-client*.service \
		$(DESTDIR)$(SYSUSERSDIR)/portgate.conf $(DESTDIR)$(TMPFILESDIR)/portgate.conf \
		$(DESTDIR)$(SYSCONFDIR)/portgate/portgate.yaml.example \
		$(DESTDIR)$(SYSCONFDIR)/portgate/portgate-client.yaml.example
	@p=$(DESTDIR)$(SYSCONFDIR)/portgate/portgate.yaml; \
	if cmp -s "$$p" conf/portgate.yaml; then rm -f "$$p"; \
	elif [ -e "$$p" ]; then echo "kept $$p (edited)"; fi; \
	rmdir $(DESTDIR)$(SYSCONFDIR)/portgate 2>/dev/null || true

print-UNITDIR:
	@echo $(UNITDIR)
print-SYSUSERSDIR:
	@echo $(SYSUSERSDIR)
print-TMPFILESDIR:
	@echo $(TMPFILESDIR)

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
