# devmgr — build, test, install.
#   make              ./devmgr, dynamically linked
#   make STATIC=1     ./devmgr, fully static (libkmod off)
#   make KMOD=0       without libkmod
#   make check        every test (unit + integration; integration needs root)
#   make musl-check   compile every source with musl-gcc, warnings as errors
#   make bench        coldplug benchmark against busybox mdev
#   make install      DESTDIR= PREFIX=/usr/local

VERSION   := 0.1.0
PREFIX    ?= /usr/local
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
DESTDIR   ?=

CC        ?= cc
PKG_CONFIG ?= pkg-config
STATIC    ?= 0
KMOD      ?= $(if $(filter 1,$(STATIC)),0,$(shell $(PKG_CONFIG) --exists libkmod && echo 1 || echo 0))

PKGS      := libnl-3.0 inih $(if $(filter 1,$(KMOD)),libkmod)
PKG_STATIC := $(if $(filter 1,$(STATIC)),--static)

CFLAGS    ?= -O2 -g
CFLAGS    += -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -DVERSION='"$(VERSION)"' \
             $(if $(filter 1,$(KMOD)),-DHAVE_KMOD) $(shell $(PKG_CONFIG) --cflags $(PKGS))
LDFLAGS   += $(if $(filter 1,$(STATIC)),-static)
LDLIBS    += $(shell $(PKG_CONFIG) $(PKG_STATIC) --libs $(PKGS))

SRCS      := $(wildcard src/*.c)
OBJS      := $(patsubst src/%.c,build/%.o,$(SRCS))
LIBOBJS   := $(filter-out build/main.o,$(OBJS))
UNIT_SRCS := $(wildcard tests/unit/*.c)
UNIT_BINS := $(patsubst tests/unit/%.c,build/tests/%,$(UNIT_SRCS))

all: devmgr

devmgr: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LDLIBS)

# A change of STATIC/KMOD must rebuild everything.
build/flags: FORCE
	@mkdir -p build
	@echo '$(CFLAGS) $(LDFLAGS) $(LDLIBS)' | cmp -s - $@ || echo '$(CFLAGS) $(LDFLAGS) $(LDLIBS)' > $@

build/%.o: src/%.c build/flags
	@mkdir -p build
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

build/tests/%: tests/unit/%.c $(LIBOBJS) tests/unit/tap.h
	@mkdir -p build/tests
	$(CC) $(CFLAGS) -Isrc -o $@ $< $(LIBOBJS) $(LDLIBS)

unit: $(UNIT_BINS)

check: devmgr unit
	prove -f $(UNIT_BINS) tests/integration/*.t

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
	set -e; for f in $(SRCS); do \
		musl-gcc -std=c11 -Wall -Wextra -Werror -D_DEFAULT_SOURCE -DVERSION='"$(VERSION)"' \
			-I$(MUSL_INC) -fsyntax-only $$f; echo "musl ok: $$f"; done

bench: devmgr
	tests/bench/coldplug.sh

install: devmgr
	install -D -m 0755 devmgr $(DESTDIR)$(SBINDIR)/devmgr
	install -D -m 0644 etc/mdev.conf $(DESTDIR)$(SYSCONFDIR)/devmgr/mdev.conf.example
	install -D -m 0644 etc/devmgr.conf $(DESTDIR)$(SYSCONFDIR)/devmgr/devmgr.conf.example

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/devmgr
	rm -f $(DESTDIR)$(SYSCONFDIR)/devmgr/mdev.conf.example $(DESTDIR)$(SYSCONFDIR)/devmgr/devmgr.conf.example
	-rmdir $(DESTDIR)$(SYSCONFDIR)/devmgr 2>/dev/null

clean:
	rm -rf build devmgr

FORCE:
.PHONY: all unit check musl-check bench install uninstall clean FORCE
-include $(wildcard build/*.d)
