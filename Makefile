# phiaudit build. `make` builds build/phiauditd; `sudo make test` installs
# what it needs (Debian packages), builds with ASan+UBSan and runs every
# test; `sudo make bench` runs the benchmarks on an optimised build;
# `sudo make demo` shows the agent on a sample patient-data tree.

BUILD      ?= build
SAN        := $(BUILD)/san
CC         ?= gcc
CLANG      ?= clang
BPFTOOL    ?= bpftool
ARCH       := $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

# Debian packages the build, the tests and the benchmarks use.
DEB_PACKAGES := clang llvm bpftool libbpf-dev libelf-dev zlib1g-dev libjson-c-dev \
                libcmocka-dev libssl-dev pkg-config gcc make e2fsprogs util-linux \
                rsyslog rsyslog-relp openssl liburing-dev

WARN       := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wno-unused-parameter
HARDEN     := -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
CPPFLAGS   := -Iinclude -I$(BUILD) -Iuserspace -D_GNU_SOURCE
CFLAGS     ?= -O2 -g
LIBS       := -lbpf -lelf -lz -lcrypto -ljson-c
SAN_FLAGS  := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
              -fno-omit-frame-pointer
LDHARDEN   := -pie -Wl,-z,relro,-z,now

# One line per feature, so parallel work touches different lines.
DETECT_SRCS:= detect.c finding.c alert_exec.c detect_config.c
SYSLOG_SRCS:= sink_syslog.c
QUERY_SRCS := qtime.c qmap.c csvw.c qrec.c qfilter.c qinput.c qgaps.c qscan.c qout.c qreport.c qtimeline.c qcmd.c
CONFIG_SRCS:= conffile.c config.c runstate.c
CORE_SRCS  := pathenc.c jsonw.c paths.c decode.c ocsf.c options.c log.c opens.c \
              chain.c gzmember.c store.c verify.c names.c procs.c cgroups.c enrich.c \
              sink_jsonl.c sink_memory.c clock.c notify.c ocsf_routes.c \
              $(DETECT_SRCS) $(SYSLOG_SRCS) $(QUERY_SRCS) $(CONFIG_SRCS)
AGENT_SRCS := $(CORE_SRCS) loader.c watch.c agent.c alerts.c status.c reload.c routes.c inodes.c \
              phiauditd.c
CLI_SRCS   := $(CORE_SRCS) cli_status.c phiaudit.c
BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_HDRS   := $(wildcard bpf/*.bpf.h) $(wildcard include/phiaudit/*.h)
US_HDRS    := $(wildcard userspace/*.h) $(wildcard include/phiaudit/*.h)

OPT_OBJS   := $(AGENT_SRCS:%.c=$(BUILD)/obj/%.o)
SAN_OBJS   := $(AGENT_SRCS:%.c=$(SAN)/obj/%.o)
SAN_CORE   := $(CORE_SRCS:%.c=$(SAN)/obj/%.o)
SAN_LIBOBJ := $(filter-out $(SAN)/obj/phiauditd.o,$(SAN_OBJS))
CLI_OBJS   := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
SAN_CLI    := $(CLI_SRCS:%.c=$(SAN)/obj/%.o)

UNIT_TESTS := $(patsubst tests/unit/%.c,$(SAN)/tests/%,$(wildcard tests/unit/test_*.c))
INTEG_TESTS:= $(patsubst tests/integration/%.c,$(SAN)/tests/%,$(wildcard tests/integration/integ_*.c))
HELPERS    := $(patsubst tests/helpers/%.c,$(BUILD)/helpers/%,$(wildcard tests/helpers/*.c))
BENCHES    := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(filter-out %.bpf.c,$(wildcard tests/bench/*.c)))

.PHONY: all deps test unit integration bench demo clean install-deps
all: $(BUILD)/phiauditd $(BUILD)/phiaudit

# ---- dependencies: installed from Debian when missing (root), else listed
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "phiaudit: installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null || exit 1; \
	  else \
	    echo "phiaudit: missing Debian packages:$$missing (run 'sudo make deps')" >&2; exit 1; \
	  fi; \
	fi

# ---- BPF: CO-RE against the running kernel's BTF, then a skeleton
$(BUILD)/vmlinux.h: | $(BUILD)
	$(BPFTOOL) btf dump file /sys/kernel/btf/vmlinux format c > $@.tmp && mv $@.tmp $@

$(BUILD)/phiaudit.bpf.o: $(BPF_SRCS) $(BPF_HDRS) $(BUILD)/vmlinux.h
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
	  -I$(BUILD) -Iinclude -Ibpf -c bpf/phiaudit.bpf.c -o $@

$(BUILD)/phiaudit.skel.h: $(BUILD)/phiaudit.bpf.o
	$(BPFTOOL) gen skeleton $< name phiaudit_bpf > $@.tmp && mv $@.tmp $@

# ---- userspace, optimised
$(BUILD)/obj/%.o: userspace/%.c $(US_HDRS) $(BUILD)/phiaudit.skel.h | $(BUILD)/obj
	$(CC) $(CPPFLAGS) $(CFLAGS) $(WARN) $(HARDEN) -c $< -o $@

$(BUILD)/phiauditd: $(OPT_OBJS)
	$(CC) $(CFLAGS) $(LDHARDEN) -o $@ $^ $(LIBS)

$(BUILD)/phiaudit: $(CLI_OBJS)
	$(CC) $(CFLAGS) $(LDHARDEN) -o $@ $^ -lz -lcrypto -ljson-c

# ---- userspace with ASan+UBSan, for every test
$(SAN)/obj/%.o: userspace/%.c $(US_HDRS) $(BUILD)/phiaudit.skel.h | $(SAN)/obj
	$(CC) $(CPPFLAGS) $(SAN_FLAGS) $(WARN) -c $< -o $@

$(SAN)/phiauditd: $(SAN_OBJS)
	$(CC) $(SAN_FLAGS) -o $@ $^ $(LIBS)

$(SAN)/phiaudit: $(SAN_CLI)
	$(CC) $(SAN_FLAGS) -o $@ $^ -lz -lcrypto -ljson-c

$(SAN)/tests/%: tests/unit/%.c $(SAN_CORE) tests/unit/*.h | $(SAN)/tests
	$(CC) $(CPPFLAGS) -Itests/unit $(SAN_FLAGS) $(WARN) -DPA_SOURCE_DIR='"$(CURDIR)"' \
	  -o $@ $< $(SAN_CORE) -lcmocka -ljson-c -lz -lcrypto

$(SAN)/tests/%: tests/integration/%.c tests/integration/*.h $(SAN_LIBOBJ) | $(SAN)/tests
	$(CC) $(CPPFLAGS) -Itests/integration $(SAN_FLAGS) $(WARN) -DPA_BUILD_DIR='"$(abspath $(BUILD))"' \
	  -o $@ $< $(SAN_LIBOBJ) -lcmocka -ljson-c $(LIBS) -lpthread

# Helpers the tests run as "other processes": small, unsanitised, static
# where it matters (chroot).
$(BUILD)/helpers/%: tests/helpers/%.c | $(BUILD)/helpers
	$(CC) -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -static -o $@ $<

# uring_io drives io_uring through liburing (static: liburing-dev's liburing.a).
$(BUILD)/helpers/uring_io: tests/helpers/uring_io.c | $(BUILD)/helpers
	$(CC) -O2 -g -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -static -o $@ $< -luring

# The benchmark floor: empty raw_tp sys_enter/sys_exit programs, loaded by
# the bench driver itself so every run measures it beside the agent.
$(BUILD)/bench/floor.bpf.o: tests/bench/floor.bpf.c $(BUILD)/vmlinux.h | $(BUILD)/bench
	$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -I$(BUILD) -c $< -o $@

$(BUILD)/bench/floor.skel.h: $(BUILD)/bench/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@.tmp && mv $@.tmp $@

# bench_pipeline runs the agent's own code in process: it links the core objects.
$(BUILD)/bench/bench_pipeline: tests/bench/bench_pipeline.c $(wildcard tests/bench/*.h) \
  $(CORE_SRCS:%.c=$(BUILD)/obj/%.o) | $(BUILD)/bench
	$(CC) $(CPPFLAGS) -O2 -g $(WARN) -o $@ $< $(CORE_SRCS:%.c=$(BUILD)/obj/%.o) -lz -lcrypto -lbpf -lelf -ljson-c

# bench_detect drives the detector in process, like bench_pipeline.
$(BUILD)/bench/bench_detect: tests/bench/bench_detect.c $(CORE_SRCS:%.c=$(BUILD)/obj/%.o) | $(BUILD)/bench
	$(CC) $(CPPFLAGS) -O2 -g $(WARN) -o $@ $< $(CORE_SRCS:%.c=$(BUILD)/obj/%.o) -lz -lcrypto -lbpf -lelf -ljson-c

$(BUILD)/bench/%: tests/bench/%.c $(wildcard tests/bench/*.h) $(BUILD)/bench/floor.skel.h | $(BUILD)/bench
	$(CC) $(CPPFLAGS) -I$(BUILD)/bench -O2 -g $(WARN) -o $@ $< $(LIBS)

$(BUILD) $(BUILD)/obj $(SAN)/obj $(SAN)/tests $(BUILD)/helpers $(BUILD)/bench:
	mkdir -p $@

# ---- entry points
test: deps
	$(MAKE) --no-print-directory $(SAN)/phiauditd $(SAN)/phiaudit $(UNIT_TESTS) $(INTEG_TESTS) $(HELPERS)
	@sh tests/run.sh $(BUILD)

unit: deps
	$(MAKE) --no-print-directory $(UNIT_TESTS)
	@PA_UNIT_ONLY=1 sh tests/run.sh $(BUILD)

bench: deps
	$(MAKE) --no-print-directory $(BUILD)/phiauditd $(BENCHES) $(HELPERS)
	@sh tests/bench/run.sh $(BUILD)

demo: deps
	$(MAKE) --no-print-directory $(BUILD)/phiauditd $(BUILD)/phiaudit
	@sh deploy/demo.sh $(BUILD)/phiauditd $(BUILD)/phiaudit

clean:
	rm -rf $(BUILD)

# bench_search: a million records made by the agent's encoder and store,
# searched by the CLI and by zcat | grep in the same run (so the CLI is a
# prerequisite; tests/unit/recgen.h builds the records).
$(BUILD)/bench/bench_search: tests/bench/bench_search.c tests/unit/recgen.h tests/unit/events.h \
  $(CORE_SRCS:%.c=$(BUILD)/obj/%.o) $(BUILD)/phiaudit | $(BUILD)/bench
	$(CC) $(CPPFLAGS) -Itests/unit -O2 -g $(WARN) -o $@ $< $(CORE_SRCS:%.c=$(BUILD)/obj/%.o) \
	  -lz -lcrypto -lbpf -lelf -ljson-c

# ---- install and packages (deploy/). `make install` takes DESTDIR and
# PREFIX (default /usr/local); the configuration always goes to /etc, where
# the agent looks for it, and an existing file there is never replaced.
# `make deb` leaves $(BUILD)/phiaudit_VERSION_ARCH.deb; `make rpm-spec-check`
# parses deploy/rpm/phiaudit.spec and builds it with rpmbuild (on Debian:
# --nodeps, and the RHEL macros Debian lacks defined on the command line).
DEB_PACKAGES += debhelper dpkg-dev systemd rpm yamllint libseccomp-dev
# the reflink tests (integ_routes) mount a btrfs image
DEB_PACKAGES += btrfs-progs
PA_VERSION := $(shell sed -n 's/^\#define PA_PRODUCT_VERSION "\(.*\)"/\1/p' userspace/ocsf.h)
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
BINDIR     ?= $(PREFIX)/bin
MANDIR     ?= $(PREFIX)/share/man
UNITDIR    ?= $(PREFIX)/lib/systemd/system
SYSCONFDIR ?= /etc
# What `make deb` and `make rpm-spec-check` package: the source tree as the
# top level is fixed (no tests, .ci, build output).
PKG_SRC    := bpf include userspace docs deploy Makefile README.md LICENSE
DEB_TREE   := $(BUILD)/deb/phiaudit-$(PA_VERSION)
RPM_TOP    := $(abspath $(BUILD))/rpm
# The packaging tools run make again: without our command line and level.
PKG_ENV    := env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u DESTDIR -u PREFIX
RPM_SHIMS  := --define '_unitdir /usr/lib/systemd/system' --define 'debug_package %{nil}' \
              --define 'systemd_post() %{nil}' --define 'systemd_preun() %{nil}' \
              --define 'systemd_postun() %{nil}' --define '__brp_strip_lto %{nil}'

.PHONY: install deb rpm-spec-check
install: $(BUILD)/phiauditd $(BUILD)/phiaudit
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man8 \
	  $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(UNITDIR) $(DESTDIR)$(SYSCONFDIR)/phiaudit/conf.d \
	  $(DESTDIR)$(SYSCONFDIR)/default
	install -m 0755 $(BUILD)/phiauditd $(DESTDIR)$(SBINDIR)/phiauditd
	install -m 0755 $(BUILD)/phiaudit $(DESTDIR)$(BINDIR)/phiaudit
	install -m 0644 docs/phiauditd.8 $(DESTDIR)$(MANDIR)/man8/phiauditd.8
	install -m 0644 docs/phiaudit.1 $(DESTDIR)$(MANDIR)/man1/phiaudit.1
	sed 's|/usr/sbin/phiauditd|$(SBINDIR)/phiauditd|' deploy/phiauditd.service \
	  > $(DESTDIR)$(UNITDIR)/phiauditd.service.tmp
	chmod 0644 $(DESTDIR)$(UNITDIR)/phiauditd.service.tmp
	mv $(DESTDIR)$(UNITDIR)/phiauditd.service.tmp $(DESTDIR)$(UNITDIR)/phiauditd.service
	@for f in phiaudit/phiaudit.conf:deploy/phiaudit.conf default/phiauditd:deploy/phiauditd.default; do \
	  dst=$(DESTDIR)$(SYSCONFDIR)/$${f%%:*}; \
	  if [ -e "$$dst" ]; then echo "install: $$dst exists, kept"; \
	  else echo "install -m 0644 $${f#*:} $$dst"; install -m 0644 $${f#*:} "$$dst" || exit 1; fi; \
	done

deb: deps
	@v=$$(dpkg-parsechangelog -l deploy/debian/changelog -S Version); [ "$$v" = "$(PA_VERSION)" ] || \
	  { echo "deploy/debian/changelog is at $$v, the agent at $(PA_VERSION): add a changelog entry" >&2; exit 1; }
	rm -rf $(BUILD)/deb
	mkdir -p $(DEB_TREE)
	tar -cf - $(PKG_SRC) | tar -xf - -C $(DEB_TREE)
	cp -R deploy/debian $(DEB_TREE)/debian
	cd $(DEB_TREE) && $(PKG_ENV) dpkg-buildpackage -us -uc -b -J
	mv $(BUILD)/deb/phiaudit_$(PA_VERSION)_*.deb $(BUILD)/
	@ls $(BUILD)/phiaudit_$(PA_VERSION)_*.deb

rpm-spec-check: deps
	rpmspec --parse $(RPM_SHIMS) deploy/rpm/phiaudit.spec > /dev/null
	@v=$$(rpmspec -q --srpm --qf '%{VERSION}' $(RPM_SHIMS) deploy/rpm/phiaudit.spec); \
	  [ "$$v" = "$(PA_VERSION)" ] || { echo "deploy/rpm/phiaudit.spec is at $$v," \
	  "the agent at $(PA_VERSION): bump Version, add a %changelog entry" >&2; exit 1; }
	rm -rf $(RPM_TOP)
	mkdir -p $(RPM_TOP)/SOURCES
	tar -czf $(RPM_TOP)/SOURCES/phiaudit-$(PA_VERSION).tar.gz \
	  --transform 's,^,phiaudit-$(PA_VERSION)/,' $(PKG_SRC)
	$(PKG_ENV) rpmbuild -bb --nodeps --define '_topdir $(RPM_TOP)' $(RPM_SHIMS) deploy/rpm/phiaudit.spec
	@ls $(RPM_TOP)/RPMS/*/phiaudit-$(PA_VERSION)-*.rpm

# The deploy test runs the agent under the unit's system call filter.
$(SAN)/tests/integ_deploy: LIBS += -lseccomp
