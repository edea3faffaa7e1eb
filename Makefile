# front: daemonless gpg-compatible OpenPGP. See README.md.
export PATH := /usr/local/go/bin:$(PATH)
export CGO_ENABLED := 1
PREFIX ?= /usr/local/frontpgp
APT_PACKAGES := pkg-config libseccomp-dev libpcsclite-dev gnupg gpgv strace util-linux
GO_TEST_TIMEOUT ?= 20m

.PHONY: all deps build install demo test interop fuzz bench clean

all: build

deps:
	@command -v go >/dev/null || { echo "Go is required (expected at /usr/local/go/bin/go)"; exit 1; }
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; fi
	go mod download

build: deps
	mkdir -p bin
	go build -o bin/ ./cmd/front ./cmd/keyhelper
	ln -sf front bin/gpg
	ln -sf front bin/gpgv

install: build
	install -d $(PREFIX)/bin $(PREFIX)/libexec/frontpgp
	install -m 755 bin/front $(PREFIX)/bin/front
	install -m 755 bin/keyhelper $(PREFIX)/libexec/frontpgp/keyhelper
	ln -sf front $(PREFIX)/bin/gpg
	ln -sf front $(PREFIX)/bin/gpgv

demo: build
	bash scripts/demo.sh

test: build
	go vet ./...
	@bad=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$bad" ]; then echo "gofmt needed:"; echo "$$bad"; exit 1; fi
	go test -count=1 -timeout $(GO_TEST_TIMEOUT) $$(go list ./... | grep -v /interop$$)
	go test ./ipc -run '^$$' -fuzz FuzzDecode -fuzztime 20s

# Interop against real GnuPG 2.2.40; not yet part of `make test` because
# several cases still fail (see the closing note of issue 2).
interop: build
	go test -count=1 -timeout $(GO_TEST_TIMEOUT) ./interop

bench: build
	bash bench/sign_verify.sh
	go test -run '^$$' -bench . ./pgp

clean:
	rm -rf bin
