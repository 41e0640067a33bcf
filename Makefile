# Portal — the two commands that matter: `make run` and `make test`.
GO ?= go
# The newest Go 1.26 release, fetched once from the Go module proxy (about
# 76 MB) when the machine's own Go is older: go1.26.8's standard library
# has vulnerabilities go1.26.9 and go1.26.10 fix (REQ-DEP-01). go.mod stays
# at go 1.26.8, so a plain `go test` on such a machine still works.
export GOTOOLCHAIN := go1.26.10
PORTAL_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
export PORTAL_TEST_POSTGRES_URL
CHROMIUM ?= $(shell command -v chromium || command -v chromium-browser || command -v google-chrome)
# axe-core runs the accessibility checks in Chromium; `make deps` installs it
# from the npm registry into a cache outside the repository.
AXE_VERSION := 4.14.1
CACHE ?= $(or $(XDG_CACHE_HOME),$(HOME)/.cache)/portal-test
PORTAL_TEST_AXE ?= $(CACHE)/axe/node_modules/axe-core/axe.min.js
export PORTAL_TEST_AXE
# Clerk's Node.js SDKs (@clerk/backend, and @clerk/express on Express)
# check that a relying app using Clerk's SDK works with the portal, and jose
# runs the README's Node.js token check as written; `make deps` installs them
# the same way.
CLERK_NPM := @clerk/backend@3.25.0 @clerk/express@2.1.70 express@5.3.0 jose@6.2.18
PORTAL_TEST_CLERK_MODULES ?= $(CACHE)/clerk-js/node_modules
export PORTAL_TEST_CLERK_MODULES

# The version `portal version` and the start-up log name: git describe's
# (a tag, tag-N-gCOMMIT past one, or the commit; -dirty with uncommitted
# changes), stamped by the linker. Go's own stamping says "(devel)" in a git
# worktree or with -buildvcs=false. Empty where this is no git checkout (a
# tarball; also when one sits inside another repository) or git is missing:
# then nothing is stamped and Go's version stands. `make build VERSION=v1.2.3`
# names it yourself.
VERSION ?= $(shell [ -e .git ] && git describe --tags --always --dirty 2>/dev/null)
VERSION_FLAGS := $(if $(VERSION),-ldflags "-X main.version=$(VERSION)")

.PHONY: run test unit bench generate check-generated lint deps postgres chromium axe clerk-js history build screenshots vulncheck

## run: start a development portal (SQLite under ./data, dev outbox, no configuration)
run:
	$(GO) run $(VERSION_FLAGS) ./cmd/portal serve

## build: build the binary into bin/portal (static: no cgo, no libc to match)
# CGO_ENABLED=0 links Portal statically: the binary runs on any Linux of its
# architecture (a scratch or distroless image too), resolves names with Go's
# own resolver (/etc/resolv.conf, /etc/hosts), and maps no libc or dynamic
# loader, which keeps idle RSS about 5 MB lower. Nothing in Portal needs cgo
# (SQLite is modernc.org/sqlite, pure Go).
build:
	CGO_ENABLED=0 $(GO) build $(VERSION_FLAGS) -o bin/portal ./cmd/portal

## test: everything — formatting and vet, generated code, known vulnerabilities, unit, store contract on SQLite and PostgreSQL, browser tests
test: deps check-generated lint vulncheck
	$(GO) test -count=1 -timeout 18m ./...

## unit: the fast tests only (no browser)
unit:
	$(GO) test -count=1 -short ./...

## bench: the benchmark figures the issues name (prints the command and the numbers)
bench: build
	$(GO) run ./internal/bench -binary bin/portal

## generate: regenerate templ output (*_templ.go is committed)
generate:
	$(GO) tool templ generate

## check-generated: fail when committed templ output is stale
check-generated:
	@$(GO) tool templ generate >/dev/null
	@if [ -n "$$CI" ] && [ -d .git ] && [ -n "$$(git status --porcelain -- '*_templ.go')" ]; then \
		echo "templ output is stale: run 'make generate' and commit the *_templ.go files"; git status --porcelain -- '*_templ.go'; exit 1; fi

## vulncheck: govulncheck against the Go vulnerability database (REQ-DEP-01); fails on a finding .ci/vulncheck.accepted does not explain
vulncheck:
	@CACHE="$(CACHE)" GO="$(GO)" bash .ci/vulncheck

## lint: formatting and vet
lint:
	@test -z "$$(gofmt -l .)" || (echo "gofmt needed (run gofmt -w on these):"; gofmt -l .; exit 1)
	$(GO) vet ./...

## screenshots: a PNG of every page in every shipped theme, desktop and phone width, into ./screenshots
screenshots: chromium axe
	rm -rf screenshots
	PORTAL_SCREENSHOTS=$(CURDIR)/screenshots $(GO) test -count=1 -run '^TestEveryPageInEveryTheme$$' ./internal/browser/
	@echo "written: screenshots/<theme>/<page>.desktop.png and .phone.png"

## deps: start or install what the tests need (PostgreSQL running, Chromium and axe-core installed)
deps: postgres chromium axe clerk-js history

# The upgrade test builds an older Portal from this repository's history
# (internal/e2e/upgrade_test.go); a shallow clone fetches the rest once.
history:
	@if [ "$$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then \
		echo "fetching the repository's history for the upgrade test (git fetch --unshallow)..."; \
		git fetch --quiet --unshallow || echo "could not fetch the history: the upgrade test will say what to do"; \
	fi

postgres:
	@if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
		echo "starting PostgreSQL..."; \
		(command -v pg_ctlcluster >/dev/null && ls /etc/postgresql >/dev/null 2>&1 && \
		 pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start) || true; \
		for i in 1 2 3 4 5 6 7 8 9 10; do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done; \
	fi
	@pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || (echo "PostgreSQL is not running on 127.0.0.1:5432 and could not be started. Start it, or set PORTAL_TEST_POSTGRES_URL to a server the tests may use (user with CREATE SCHEMA rights)."; exit 1)

chromium:
	@if [ -z "$(CHROMIUM)" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			echo "installing Chromium for the browser tests (apt-get install chromium)..."; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
		else \
			echo "Chromium is needed for the browser tests: install it (Debian: sudo apt-get install chromium) or set CHROMIUM=/path/to/chrome"; exit 1; \
		fi; \
	fi

axe:
	@if ! grep -qs '"version": "$(AXE_VERSION)"' "$(CACHE)/axe/node_modules/axe-core/package.json"; then \
		if ! command -v npm >/dev/null; then \
			if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
				echo "installing npm to fetch axe-core (apt-get install npm)..."; \
				apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq npm >/dev/null; \
			else \
				echo "npm is needed once, to install axe-core $(AXE_VERSION) for the accessibility tests: install it (Debian: sudo apt-get install npm)"; exit 1; \
			fi; \
		fi; \
		echo "installing axe-core $(AXE_VERSION) into $(CACHE)/axe (npm)..."; \
		npm install --silent --no-audit --no-fund --prefix "$(CACHE)/axe" axe-core@$(AXE_VERSION) >/dev/null || exit 1; \
	fi

clerk-js: axe
	@if [ "$$(cat "$(CACHE)/clerk-js/installed" 2>/dev/null)" != "$(CLERK_NPM)" ]; then \
		echo "installing $(CLERK_NPM) into $(CACHE)/clerk-js (npm)..."; \
		npm install --silent --no-audit --no-fund --prefix "$(CACHE)/clerk-js" $(CLERK_NPM) >/dev/null || exit 1; \
		echo "$(CLERK_NPM)" > "$(CACHE)/clerk-js/installed"; \
	fi
	@if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)' 2>/dev/null; then \
		echo "Node.js 20 or later is needed for the tests of Clerk's SDKs (found: $$(node --version 2>/dev/null || echo none)): install it, or put it first on PATH"; exit 1; \
	fi
