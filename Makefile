# portgate — plain Makefile. `make` builds build/portgated and build/portgatectl.
#   make check            every test (unit, then the network-namespace tests as root)
#   make check SANITIZE=1 the same under ASan+UBSan (in build/san)
#   make fuzz             libFuzzer on the decoder and the state machine (clang)
#   make demo             the gateway's main job in a throwaway namespace lab
#   make bench            the performance benchmarks (not part of check)
#   make install          honours PREFIX and DESTDIR

PREFIX ?= /usr/local
SBINDIR ?= $(PREFIX)/sbin
SYSCONFDIR ?= /etc
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
PKGS := libnftnl libmnl yaml-0.1 libmicrohttpd jansson libcap-ng

ifeq ($(SANITIZE),1)
BUILD ?= build/san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT ?= -O1
else
BUILD ?= build
SAN_FLAGS :=
OPT ?= -O2
endif

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
# Recursively expanded on purpose: pkg-config runs when a recipe runs, after
# the `deps` prerequisite has installed what a fresh machine lacks.
PKG_CFLAGS = $(shell $(PKG_CONFIG) --cflags $(PKGS))
PKG_LIBS = $(shell $(PKG_CONFIG) --libs $(PKGS))
CPPFLAGS += -Isrc -D_GNU_SOURCE -DPORTGATE_VERSION=\"$(VERSION)\"
CFLAGS ?= -g $(OPT)
ALL_CFLAGS = -std=gnu11 $(WARN) $(CFLAGS) $(SAN_FLAGS) $(PKG_CFLAGS) -MMD -MP
ALL_LDFLAGS = $(LDFLAGS) $(SAN_FLAGS)
VERSION := 0.1.0

MAINS := src/portgated.c src/portgatectl.c
LIB_SRCS := $(filter-out $(MAINS),$(wildcard src/*.c src/*/*.c))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
LIB := $(BUILD)/libportgate.a

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
NETNS_SRCS := $(wildcard tests/netns/*.c)
NETNS_BINS := $(NETNS_SRCS:tests/netns/%.c=$(BUILD)/tests/netns/%)

.SECONDARY:

.PHONY: all deps deps-build check unit netns fuzz demo bench install install-check clean

all: $(BUILD)/portgated $(BUILD)/portgatectl

deps-build:
	@scripts/install-deps --build

deps:
	@scripts/install-deps

$(BUILD)/%.o: %.c | deps-build
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(LIB): $(LIB_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/portgated: $(BUILD)/src/portgated.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/portgatectl: $(BUILD)/src/portgatectl.o $(LIB)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

$(BUILD)/tests/%: $(BUILD)/tests/unit/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lcmocka

$(BUILD)/tests/netns/%: $(BUILD)/tests/netns/%.o $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS)

unit: $(UNIT_BINS)
	@failed=0; for t in $(UNIT_BINS); do \
		echo "== $$t"; $$t || failed=1; \
	done; exit $$failed

netns: all $(NETNS_BINS) | deps
	@BUILD=$(BUILD) tests/netns/run-all

check: | deps
	@$(MAKE) --no-print-directory unit
	@$(MAKE) --no-print-directory install-check
	@$(MAKE) --no-print-directory netns

fuzz: | deps
	@BUILD=build/fuzz tests/fuzz/run $(FUZZ_SECONDS)

demo: all $(NETNS_BINS) | deps
	@BUILD=$(BUILD) tests/netns/demo

$(BUILD)/tests/bench/pgbench: tests/bench/pgbench.c | deps-build
	@mkdir -p $(dir $@)
	$(CC) -std=gnu11 $(WARN) -O2 -o $@ $<

bench: all $(NETNS_BINS) $(BUILD)/tests/bench/pgbench | deps
	@BUILD=$(BUILD) tests/bench/run

UNITDIR ?= /lib/systemd/system

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(SYSCONFDIR)/portgate \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 $(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/portgated $(BUILD)/portgatectl $(DESTDIR)$(SBINDIR)/
	install -m 0644 conf/portgate.yaml $(DESTDIR)$(SYSCONFDIR)/portgate/portgate.yaml
	install -m 0644 man/portgated.8 man/portgatectl.8 $(DESTDIR)$(MANDIR)/man8/
	install -m 0644 man/portgate.yaml.5 $(DESTDIR)$(MANDIR)/man5/
	sed -e 's|@SBINDIR@|$(SBINDIR)|g' -e 's|@SYSCONFDIR@|$(SYSCONFDIR)|g' \
		contrib/systemd/portgated.service >$(DESTDIR)$(UNITDIR)/portgated.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/portgated.service

# The installed layout, checked on a scratch DESTDIR (part of make check).
install-check: all
	@tests/install-check

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
