# front: daemonless gpg-compatible OpenPGP. See README.md.
#
#   make deps      apt packages + Go modules the build and the tests need
#   make build     bin/front, bin/<helpers>, bin/gpg, bin/gpgv, bin/gpgconf -> front
#   make install   PREFIX (default /usr/local/frontpgp, never shadows /usr/bin/gpg)
#   make demo      scripts/demo.sh: keygen, sign, verify, encrypt, decrypt, gpgv
#   make test      vet, gofmt, unit tests, interop against GnuPG 2.2.40, short fuzz run (what .ci/run runs)
#   make interop   interop/ against GnuPG 2.2.40 with bin/gpg
#   make interop-gpg  the same transcripts with gpg itself as "ours"
#   make difftest  differential test: 306 invocations, ours vs gpg 2.2.40
#   make bench     bench-latency, cached-passphrase signing, pgp microbenchmarks, bench-net, bench-migrate
#   make bench-latency  verify, list, sign, git log --show-signature vs gpg; start-up budget
#   make bench-net key retrieval on loopback (sks, WKD as root), ours vs gpg with a cold and a warm dirmngr
#   make bench-remote  sign through front ssh over a loopback sshd (root) vs a local sign
#   make bench-migrate moving in from a GnuPG home with the Debian keyring, ours vs gpg's import
#   make bench-card    card sign 1 KiB on the emulated card (root): ours vs gpg+scdaemon, warm and cold; ours through front ssh

export PATH := /usr/local/go/bin:$(PATH)
export CGO_ENABLED := 1

GO ?= go
PREFIX ?= /usr/local/frontpgp
DESTDIR ?=
GO_TEST_TIMEOUT ?= 20m
INTEROP_TIMEOUT ?= 15m
# Fuzz budgets are execution counts, not durations: with a duration, Go
# 1.26's fuzz coordinator can report its own end-of-time deadline as a
# failure ("context deadline exceeded", no crasher) on a loaded machine
# (golang/go#75804, fixed in Go 1.27). The counts take about 20 s (the
# pipe-protocol decoder) and 2-8 s (each other parser) on an idle 2-core
# machine.
FUZZTIME ?= 400000x
FUZZTIME_PARSERS ?= 100000x

# Build: gcc/libc6-dev for cgo, pkg-config + -dev packages for libseccomp and
# libpcsclite. Tests: gnupg/gpgv (interop oracle), strace (process checks),
# util-linux (setpriv: tests as an unprivileged uid), git (gofmt file list
# and the git client transcript), pass, python3-gnupg and python3-gpg (GPGME's
# Python bindings), pacman-package-manager and archlinux-keyring (pacman-key
# with the Arch keyring) (client transcripts: real programs driving front as
# gpg, GPGME through our gpgconf). Store benchmark (bench/store.sh):
# debian-keyring (the import workload) and rnp (rnpkeys, a peer).
# Streaming benchmark (bench/stream.sh): rnp (the signing peer) and time
# (/usr/bin/time measures peak memory). Key retrieval transcripts and
# benchmark (bench/net.sh): sks (a real HKP keyserver on loopback).
# Smart card tests: pcscd and vsmartcard-vpcd (the reader the emulator in
# internal/cardemu plugs into), scdaemon and opensc (the oracles that the
# emulated card is realistic); opensc-pkcs11, the PKCS#11 module ssh logs
# in with a card's authentication key through (card_ssh_auth.txtar).
APT_PACKAGES := gcc libc6-dev pkg-config libseccomp-dev libpcsclite-dev \
	gnupg gpgv gpg-agent gpgsm openssl scdaemon pcscd vsmartcard-vpcd opensc opensc-pkcs11 \
	strace util-linux git ca-certificates tmux \
	pass python3-gnupg python3-gpg debian-keyring rnp time \
	pinentry-tty pinentry-curses keyutils dbus-daemon dbus-bin gnome-keyring libsecret-tools \
	pacman-package-manager makepkg archlinux-keyring openssh-client openssh-server sks

# Every cmd/*helper is a helper binary installed in libexec/frontpgp.
# front needs no cgo and is built static. On amd64 the helpers load seccomp
# filters compiled ahead of time from libseccomp
# (sandbox/seccomp_filters_amd64.go), so keyhelper and nethelper are pure
# Go, built without cgo and static: no cgo runtime to start (~0.5 ms) and
# no filter compilation (~0.2 ms) at each one-shot start. Elsewhere they
# compile their filter with libseccomp at run time and are linked
# statically with cgo: no dynamic loader work at each start either.
# Except cardhelper: Debian ships no static libpcsclite.a (libpcsclite-dev
# has only the shared library, and the client library must match the
# installed pcscd's protocol anyway), so it is linked dynamically, with
# -z now -z relro: the loader maps libpcsclite (libseccomp) and libc and
# binds every symbol at exec, before main, so nothing after lockdown needs
# a file (landlock allows none) or lazy binding; the connection to pcscd
# is opened before lockdown too (sandbox.CardhelperPolicy).
# netgo: nethelper resolves names with Go's resolver only (a static glibc
# cannot load NSS modules, and the sandbox allows no file opens after
# lockdown), so the cgo resolver is left out.
HELPERS := $(notdir $(wildcard cmd/*helper))
# Every binary is built with bin/.build/go.mod: go.mod plus the dependency
# files patched under _patched/ (scripts/patched-modfile.sh): go-crypto
# builds its curve tables on first use instead of in package init (0.15
# ms of each process start), and consults a memo of RSA signature checks
# (sigmemo; the frontpgp_patched tag compiles the code that installs it,
# so a plain go build still works, without the memo). GOEXPERIMENT=nogreenteagc: Go
# 1.26's default collector gives every fresh span inline mark bits, a page
# fault per size class a short-lived process allocates; the previous
# collector starts front 0.1-0.2 ms faster (verify 1 KiB, interleaved) and
# imports the Debian keyring as fast (1.72-1.82 s vs 1.78-1.88 s). Go 1.27
# may drop the switch; bench/latency will show what that costs.
PATCHED_TAG := frontpgp_patched
BUILDFLAGS := -modfile bin/.build/go.mod -tags $(PATCHED_TAG)
export GOEXPERIMENT := nogreenteagc
ifeq ($(shell uname -m),x86_64)
STATIC_HELPER_BUILD := CGO_ENABLED=0 $(GO) build -modfile bin/.build/go.mod -tags netgo,$(PATCHED_TAG)
else
STATIC_HELPER_BUILD := $(GO) build -modfile bin/.build/go.mod -tags netgo,$(PATCHED_TAG) -ldflags '-linkmode external -extldflags "-static"'
endif
STATIC_HELPERS := $(filter-out cardhelper,$(HELPERS))

.PHONY: all deps check-go build install demo test vet fmt-check unit fuzz \
	interop interop-gpg difftest bench bench-latency bench-store bench-stream bench-net bench-remote bench-migrate bench-card clean

all: build

check-go:
	@command -v $(GO) >/dev/null 2>&1 || { \
	  echo "error: Go not found. Install Go 1.26 at /usr/local/go (this Makefile adds /usr/local/go/bin to PATH)." >&2; exit 1; }

deps: check-go
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $$missing; \
	fi
	$(GO) mod download

build: deps
	mkdir -p bin
	GO=$(GO) bash scripts/patched-modfile.sh
	CGO_ENABLED=0 $(GO) build $(BUILDFLAGS) -o bin/ ./cmd/front
	$(STATIC_HELPER_BUILD) -o bin/ $(addprefix ./cmd/,$(STATIC_HELPERS))
	$(GO) build $(BUILDFLAGS) -ldflags '-linkmode external -extldflags "-Wl,-z,now,-z,relro"' -o bin/ ./cmd/cardhelper
	@# Rewrite each binary with write(2). The Go linker writes its output
	@# through a shared mapping, and an executable whose pages entered the
	@# page cache that way costs each exec about 0.5 ms more (verify 1 KiB:
	@# 3.7 vs 3.0 ms) than the same bytes written with write(2), as
	@# install(1) does and as a read from disk gives: without this, every
	@# timing of bin/ measured the build's page cache, not the program.
	for f in front $(HELPERS); do cat bin/$$f >bin/.$$f.tmp && chmod 755 bin/.$$f.tmp && mv -f bin/.$$f.tmp bin/$$f; done
	ln -sfn front bin/gpg
	ln -sfn front bin/gpgv
	ln -sfn front bin/gpgconf

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/frontpgp
	install -m 755 bin/front $(DESTDIR)$(PREFIX)/bin/front
	for h in $(HELPERS); do install -m 755 bin/$$h $(DESTDIR)$(PREFIX)/libexec/frontpgp/$$h; done
	ln -sfn front $(DESTDIR)$(PREFIX)/bin/gpg
	ln -sfn front $(DESTDIR)$(PREFIX)/bin/gpgv
	ln -sfn front $(DESTDIR)$(PREFIX)/bin/gpgconf

demo: build
	bash scripts/demo.sh

test: build vet fmt-check unit interop difftest fuzz

vet: check-go
	$(GO) vet ./...

fmt-check: check-go
	@bad=$$(gofmt -l $$(find . -name '*.go' -not -path './.*' -not -path './bin/*')); \
	if [ -n "$$bad" ]; then echo "gofmt needed on:"; echo "$$bad"; exit 1; fi

# Unit tests of every package; interop/ only runs its helper tests here
# (TestInterop, the GnuPG comparison, is `make interop`).
unit: build
	$(GO) test $(BUILDFLAGS) -count=1 -timeout $(GO_TEST_TIMEOUT) -skip '^TestInterop$$' ./...
	@# go-crypto's own tests of the packages _patched/ changes, run on the patched copy
	$(GO) test -modfile bin/.build/go.mod -count=1 github.com/ProtonMail/go-crypto/openpgp/internal/ecc \
		github.com/ProtonMail/go-crypto/openpgp/packet github.com/ProtonMail/go-crypto/brainpool

fuzz: check-go
	$(GO) test ./ipc -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME)
	$(GO) test ./hkp -run '^$$' -fuzz FuzzParseIndex -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./sigmemo -run '^$$' -fuzz FuzzEntries -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./wkd -run '^$$' -fuzz 'FuzzFilter$$' -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./keyslot -run '^$$' -fuzz 'FuzzParseSlot$$' -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./keyslot -run '^$$' -fuzz 'FuzzParseIndex$$' -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./keyslot -run '^$$' -fuzz 'FuzzLastUses$$' -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./card/tlv -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./card/apdu -run '^$$' -fuzz FuzzResponses -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./card/openpgp -run '^$$' -fuzz FuzzParseAppData -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./card/cardkey -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./pgp -run '^$$' -fuzz 'FuzzReadCardStubs$$' -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./internal/cardemu -run '^$$' -fuzz FuzzTransmit -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./store -run '^$$' -fuzz 'FuzzParseOrigins$$' -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./store -run '^$$' -fuzz 'FuzzParseOrderJournal$$' -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./gnupg/keybox -run '^$$' -fuzz FuzzRead -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./gnupg/trustdb -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./gnupg/agentkey -run '^$$' -fuzz FuzzParse -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./migrate -run '^$$' -fuzz FuzzParseState -fuzztime $(FUZZTIME_PARSERS)
	$(GO) test ./migrate -run '^$$' -fuzz FuzzParseDigests -fuzztime $(FUZZTIME_PARSERS)

interop: build
	FRONT_BIN=$(CURDIR)/bin/gpg $(GO) test -count=1 -timeout $(INTEROP_TIMEOUT) ./interop

interop-gpg: deps
	FRONT_BIN=/usr/bin/gpg $(GO) test -count=1 -timeout $(INTEROP_TIMEOUT) ./interop

# Differential test: the cases of difftest/testdata/cases.txt with front and
# with gpg 2.2.40 in fresh homes; compares exit code, status lines, stdout
# (known divergences: difftest/testdata/known.txt, README.md "Differences from GnuPG 2.2.40").
# Without FRONT_BIN (make unit) the test skips itself.
difftest: build
	FRONT_BIN=$(CURDIR)/bin/gpg $(GO) test -count=1 -v -timeout 10m -run '^TestDiff$$' ./difftest

bench: build
	bash bench/latency.sh
	bash bench/sign_verify.sh
	$(GO) test -run '^$$' -bench . ./pgp
	bash bench/net.sh
	bash bench/migrate.sh

# Small operations (issue 14): verify, --with-colons -k (one-key and Debian
# keyring homes), sign, git log --show-signature -n 300, ours vs gpg
# interleaved; then ours' start-up budget (init by package, helper start to
# hello). The first run imports the Debian keyring into a cached gpg home
# (minutes); later runs take about a minute.
bench-latency: build
	bash bench/latency.sh

# Key retrieval on loopback: HKP recv from sks and, as root (gpg's dirmngr
# reaches a loopback WKD server only in a private mount namespace), a WKD
# hit; ours vs gpg with a cold and a warm dirmngr (half a minute).
bench-net: build
	bash bench/net.sh

# Remote signing: a signature through front ssh over a loopback sshd
# (needs root) vs a local one, medians (a few seconds).
bench-remote: build
	bash bench/remote.sh

# card signing on the emulated card (pcscd + vpcd, root): ours vs gpg+scdaemon warm and cold;
# then ours from a remote home through front ssh over a loopback sshd vs ours locally
bench-card: build
	bash bench/card.sh -remote

# Certificate store: Debian keyring import vs gpg and rnpkeys, lookups in
# it and in a synthetic 100,000-certificate store (several minutes: gpg's
# import alone takes about two).
bench-store: build
	bash bench/store.sh

# Moving in from GnuPG: a home with the Debian keyring, 5 secret keys and
# ownertrust imported by front vs gpg's own import of the same (a few
# minutes: gpg's import of the keyring takes about two).
bench-migrate: build
	bash bench/migrate.sh

# Streaming: 1 GiB encryption and decryption vs gpg, detached signing vs
# rnp, and the peak memory of every streaming operation (a few minutes).
bench-stream: build
	bash bench/stream.sh

clean:
	rm -rf bin
