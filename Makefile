# devmgr — build, test, install.
#   make              ./devmgr, dynamically linked
#   make STATIC=1     ./devmgr, fully static (libkmod off)
#   make KMOD=0       without libkmod
#   make BLKID=0      without libblkid (no ID_FS_*, no disk/by-uuid...)
#   make BPF=0        without libbpf (host mode leaves cgroup v2 alone)
#   make check        every test (unit + integration; integration needs root)
#   make sanitize     the same again, built with ASan and UBSan
#   make fuzz         libFuzzer targets, FUZZ_SECONDS (20) each
#   make musl-check   compile every source with musl-gcc, warnings as errors
#   make bench        coldplug benchmark against busybox mdev
#   make install      DESTDIR= PREFIX=/usr/local
#   make deps         install the Debian 12 packages all of the above need
#   BUILD=dir BIN=file  where objects and the binary go (tests build a
#                       static copy beside the normal one this way)

VERSION   := 0.1.0
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
LIBEXECDIR ?= $(PREFIX)/libexec
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR   ?=

CC        ?= cc
PKG_CONFIG ?= pkg-config
STATIC    ?= 0
KMOD      ?= $(if $(filter 1,$(STATIC)),0,$(shell $(PKG_CONFIG) --exists libkmod && echo 1 || echo 0))

BLKID     ?= $(shell $(PKG_CONFIG) --exists blkid && echo 1 || echo 0)
# libbpf: host mode's cgroup v2 device programs (off in the static build)
BPF       ?= $(if $(filter 1,$(STATIC)),0,$(shell $(PKG_CONFIG) --exists libbpf && echo 1 || echo 0))

PKGS      := libnl-3.0 inih $(if $(filter 1,$(KMOD)),libkmod) $(if $(filter 1,$(BLKID)),blkid) \
             $(if $(filter 1,$(BPF)),libbpf)
PKG_STATIC := $(if $(filter 1,$(STATIC)),--static)

CFLAGS    ?= -O2 -g
CFLAGS    += -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -DVERSION='"$(VERSION)"' \
             $(if $(filter 1,$(KMOD)),-DHAVE_KMOD) $(if $(filter 1,$(BLKID)),-DHAVE_BLKID) \
             $(if $(filter 1,$(BPF)),-DHAVE_BPF) $(shell $(PKG_CONFIG) --cflags $(PKGS))
LDFLAGS   += $(if $(filter 1,$(STATIC)),-static)
LDLIBS    += $(shell $(PKG_CONFIG) $(PKG_STATIC) --libs $(PKGS))

BUILD     ?= build
BIN       ?= devmgr
SRCS      := $(wildcard src/*.c)
OBJS      := $(patsubst src/%.c,$(BUILD)/%.o,$(SRCS))
LIBOBJS   := $(filter-out $(BUILD)/main.o,$(OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
TOOL_SRCS := $(wildcard tests/tools/*.c)
TOOL_BINS := $(patsubst tests/tools/%.c,$(BUILD)/tools/%,$(TOOL_SRCS))

all: $(BIN)

$(BIN): $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

# A change of STATIC/KMOD must rebuild everything.
$(BUILD)/flags: FORCE
	@mkdir -p $(BUILD)
	@echo '$(CFLAGS) $(LDFLAGS) $(LDLIBS)' | cmp -s - $@ || echo '$(CFLAGS) $(LDFLAGS) $(LDLIBS)' > $@

$(BUILD)/%.o: src/%.c $(BUILD)/flags
	@mkdir -p $(BUILD)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c $(LIBOBJS) tests/unit/tap.h tests/unit/fakesys.h tests/unit/hostconf_text.h
	@mkdir -p $(BUILD)/tests
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(LIBOBJS) $(LDLIBS)

unit: $(UNIT_BINS)

# Small programs the integration tests drive the kernel with.
$(BUILD)/tools/%: tests/tools/%.c
	@mkdir -p $(BUILD)/tools
	$(CC) -O2 -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -o $@ $<

# The real libudev client links Debian's systemd libudev.
$(BUILD)/tools/udevclient: tests/tools/udevclient.c
	@mkdir -p $(BUILD)/tools
	$(CC) -O2 -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -o $@ $< $$($(PKG_CONFIG) --libs libudev)

# stallfs, a FUSE file system whose reads can be held (a hung disk),
# links libfuse3.
$(BUILD)/tools/stallfs: tests/tools/stallfs.c
	@mkdir -p $(BUILD)/tools
	$(CC) -O2 -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE $$($(PKG_CONFIG) --cflags fuse3) \
		-o $@ $< $$($(PKG_CONFIG) --libs fuse3)

tools: $(TOOL_BINS)

# Integration tests need root (namespaces, mknod); they skip themselves
# otherwise. prove prints the summary line CI reads. contain.sh fails the
# run when a test leaves a process running.
# The last line guards the host: no test may leave a udev database in
# its /run (they all keep theirs in namespaces or work directories).
check: $(BIN) unit tools musl-check
	@had=$$([ -e /run/udev/control ] && echo y); \
	tests/lib/contain.sh prove -f $(UNIT_BINS) tests/integration/*.t; rc=$$?; \
	if [ -z "$$had" ] && [ -e /run/udev/control ]; then \
		echo "FAIL: the tests created /run/udev/control on this host"; exit 1; fi; \
	exit $$rc

# The whole suite again, devmgr and the unit tests built with
# AddressSanitizer and UBSan (undefined behaviour aborts): CI runs it
# after check. The integration tests take the binary from DEVMGR.
SAN_CFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined \
              -fno-omit-frame-pointer
# The engine tests put the static binary into images, never DEVMGR: a
# second pass would test the same thing again. valgrind cannot run an
# ASan binary (both replace malloc); check runs it on the plain one.
SAN_TESTS := $(filter-out tests/integration/engine-%.t tests/integration/valgrind.t,\
               $(wildcard tests/integration/*.t))
sanitize: tools
	CFLAGS="$(SAN_CFLAGS)" LDFLAGS="-fsanitize=address,undefined" \
		$(MAKE) --no-print-directory BUILD=build/san BIN=build/san/devmgr build/san/devmgr unit
	DEVMGR=$(CURDIR)/build/san/devmgr tests/lib/contain.sh prove -f build/san/tests/* $(SAN_TESTS)

# libFuzzer targets for the parsers (tests/fuzz/), with ASan and UBSan;
# "make fuzz" builds them and runs each for FUZZ_SECONDS on a copy of its
# seed corpus.
FUZZ_SECONDS ?= 20
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,build/fuzz/%,$(FUZZ_SRCS))
FUZZ_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
               -std=c11 -D_DEFAULT_SOURCE -DVERSION='"fuzz"' -DHAVE_KMOD -DHAVE_BLKID -Isrc \
               $(shell $(PKG_CONFIG) --cflags libnl-3.0 inih blkid)
build/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_common.h $(filter-out src/main.c,$(SRCS))
	@mkdir -p build/fuzz
	clang $(FUZZ_CFLAGS) -o $@ $< $(filter-out src/main.c,$(SRCS)) \
		$(shell $(PKG_CONFIG) --libs libnl-3.0 inih blkid) -lkmod
fuzz: $(FUZZ_BINS)
	tests/fuzz/run.sh $(FUZZ_SECONDS)

# Debian 12 packages for building, testing and benchmarking.
DEB_PKGS := build-essential pkg-config libnl-3-dev libinih-dev libkmod-dev musl-tools \
            linux-libc-dev busybox-static strace bc perl util-linux procps python3 \
            libudev-dev runc python3-yaml clang libclang-rt-14-dev valgrind \
            docker.io podman lxc crun python3-pyudev iptables bpftool libbpf-dev \
            libblkid-dev fdisk dosfstools e2fsprogs btrfs-progs libfuse3-dev fuse3 uidmap
deps:
	@if dpkg -s $(DEB_PKGS) >/dev/null 2>&1; then echo "deps: all installed"; else \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(DEB_PKGS); fi
	@$(MAKE) --no-print-directory udevadm

# udevadm, the tests' second real client, comes from Debian's udev
# package unpacked into .deps/: installing the package would start udevd
# on this machine (its postinst does on hosts without systemd).
UDEVADM := .deps/udev/bin/udevadm
udevadm: $(UDEVADM)
$(UDEVADM):
	@rm -rf .deps/udev-dl && mkdir -p .deps/udev-dl && chmod 777 .deps/udev-dl
	cd .deps/udev-dl && apt-get download udev
	dpkg -x .deps/udev-dl/udev_*.deb .deps/udev
	@rm -rf .deps/udev-dl
	@$(UDEVADM) --version >/dev/null && echo "udevadm $$($(UDEVADM) --version) in $(UDEVADM)"

# musl: compile-only (Debian has no musl builds of libnl/inih). The Linux
# UAPI headers and the libraries' headers are linked into a private
# include directory so that no glibc header can leak in.
MUSL_INC := build/musl-include
musl-check:
	@rm -rf $(MUSL_INC) && mkdir -p $(MUSL_INC)
	ln -s /usr/include/linux /usr/include/asm-generic /usr/include/ini.h $(MUSL_INC)/
	ln -s /usr/include/$$(gcc -print-multiarch)/asm $(MUSL_INC)/asm
	ln -s /usr/include/libnl3/netlink $(MUSL_INC)/netlink
	[ ! -e /usr/include/libkmod.h ] || ln -s /usr/include/libkmod.h $(MUSL_INC)/
	[ ! -e /usr/include/blkid ] || ln -s /usr/include/blkid $(MUSL_INC)/blkid
	set -e; for f in $(SRCS); do \
		musl-gcc -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -DVERSION='"$(VERSION)"' \
			$$([ -e /usr/include/blkid ] && echo -DHAVE_BLKID -I$(MUSL_INC)/blkid) \
			-I$(MUSL_INC) -fsyntax-only $$f; echo "musl ok: $$f"; done

bench: devmgr
	tests/bench/coldplug.sh

MAN8 := man/devmgr.8
MAN5 := man/mdev.conf.5 man/devmgr.conf.5

install: $(BIN)
	install -D -m 0755 $(BIN) $(DESTDIR)$(SBINDIR)/devmgr
	install -D -m 0644 etc/mdev.conf $(DESTDIR)$(SYSCONFDIR)/devmgr/mdev.conf.example
	install -D -m 0644 etc/devmgr.conf $(DESTDIR)$(SYSCONFDIR)/devmgr/devmgr.conf.example
	install -D -m 0644 etc/host.conf $(DESTDIR)$(SYSCONFDIR)/devmgr/host.conf.example
	install -D -m 0755 docker/runc-devmgr $(DESTDIR)$(LIBEXECDIR)/devmgr/runc-devmgr
	for m in $(wildcard $(MAN8)); do install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man8/$${m##*/}; done
	for m in $(wildcard $(MAN5)); do install -D -m 0644 $$m $(DESTDIR)$(MANDIR)/man5/$${m##*/}; done

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/devmgr $(DESTDIR)$(LIBEXECDIR)/devmgr/runc-devmgr
	-rmdir $(DESTDIR)$(LIBEXECDIR)/devmgr 2>/dev/null
	rm -f $(DESTDIR)$(SYSCONFDIR)/devmgr/mdev.conf.example $(DESTDIR)$(SYSCONFDIR)/devmgr/devmgr.conf.example \
		$(DESTDIR)$(SYSCONFDIR)/devmgr/host.conf.example
	rm -f $(DESTDIR)$(MANDIR)/man8/devmgr.8 $(DESTDIR)$(MANDIR)/man5/mdev.conf.5 \
		$(DESTDIR)$(MANDIR)/man5/devmgr.conf.5
	-rmdir $(DESTDIR)$(SYSCONFDIR)/devmgr 2>/dev/null

clean:
	rm -rf build devmgr

FORCE:
.PHONY: all unit tools check deps udevadm sanitize fuzz musl-check bench install uninstall clean FORCE
-include $(wildcard $(BUILD)/*.d)
