# make preview STACK=dev   offline preview of a stack (creates venv/ on first use)
# make test                the whole test suite, in parallel (JOBS=auto: one worker per core)
# make lint                byte-compile everything and run the linters
# make pulumi-cli          build the real Pulumi CLI, our Python language host and the stand-in
#                          AWS provider from Go modules into .tools/pulumi/bin/ (needs Go)
# make engine-test         the real-engine tests (tests/engine/); needs make pulumi-cli
# make diagram             redraw docs/architecture.png (and .json) from the prod stack's resources
STACK ?= dev
PYTHON ?= python3
JOBS ?= auto
VENV := venv
PY := $(VENV)/bin/python
REQUIREMENTS := -r requirements.txt -r policies/requirements.txt

# Python's ordinary byte-code cache: without it every run compiles the pulumi_aws modules
# it imports again (seconds per `ops preview`). Some sandboxes set this variable globally.
unexport PYTHONDONTWRITEBYTECODE

# Validators the tests need that PyPI does not ship (shellcheck comes from PyPI, into venv/):
# command=Debian package. `make test` names the missing ones; `make validators` installs them.
SYSTEM_VALIDATORS := cloud-init=cloud-init promtool=prometheus
MISSING_PACKAGES = $(strip $(foreach pair,$(SYSTEM_VALIDATORS),\
    $(if $(shell command -v $(firstword $(subst =, ,$(pair)))),,$(lastword $(subst =, ,$(pair))))))

.PHONY: preview test lint clean validators check-validators toc pulumi-cli engine-test diagram

# uv installs the same pins several times faster than pip (the first `make preview` takes
# seconds, not minutes); pip is the fallback wherever uv cannot be had or fails, and
# INSTALLER=pip asks for it.
INSTALLER ?= uv
PIP_INSTALL := $(PY) -m pip install --quiet --disable-pip-version-check
$(VENV)/.installed: requirements.txt policies/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@if [ "$(INSTALLER)" = uv ] && $(PIP_INSTALL) "$$(grep -E '^uv==' requirements.txt)" \
	    && $(PY) -m uv pip install --quiet --python $(PY) $(REQUIREMENTS); then :; \
	else [ "$(INSTALLER)" = pip ] || echo "uv failed: installing with pip instead"; \
	    $(PIP_INSTALL) $(REQUIREMENTS); fi
	@touch $@

preview: $(VENV)/.installed
	$(PY) -m ops preview --stack $(STACK) $(if $(JSON),--json $(JSON))

test: $(VENV)/.installed check-validators
	$(PY) -m pytest -q -n $(JOBS) tests --ignore=tests/engine

# The CLI version is the one tools/pulumi-cli/go.mod pins (one source); -p 2: two cores.
PULUMI_TOOLS := tools/pulumi-cli
PULUMI_BIN := $(CURDIR)/.tools/pulumi/bin
PULUMI_GO := cd $(PULUMI_TOOLS) && GOFLAGS="-buildvcs=false -mod=readonly -p=2" go

pulumi-cli:
	@command -v go >/dev/null || { echo "make pulumi-cli: no go on PATH; install Go 1.26.6 or newer" >&2; exit 2; }
	@mkdir -p $(PULUMI_BIN)
	version=$$($(PULUMI_GO) list -m -f '{{.Version}}' github.com/pulumi/pulumi/pkg/v3) && \
	sdk=$$($(PULUMI_GO) list -m -f '{{.Dir}}' github.com/pulumi/pulumi/sdk/v3) && \
	$(PULUMI_GO) build -trimpath -o $(PULUMI_BIN)/ \
		-ldflags "-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$$version" \
		github.com/pulumi/pulumi/pkg/v3/cmd/pulumi ./cmd/pulumi-language-python ./cmd/pulumi-resource-aws && \
	install -m 0755 "$$sdk/python/cmd/pulumi-language-python-exec" $(PULUMI_BIN)/ && \
	ln -sf pulumi-resource-aws $(PULUMI_BIN)/pulumi-resource-random
	$(PULUMI_BIN)/pulumi version

engine-test: $(VENV)/.installed
	@test -x $(PULUMI_BIN)/pulumi || { echo "make engine-test: $(PULUMI_BIN)/pulumi is missing; run make pulumi-cli first" >&2; exit 2; }
	$(PY) -m pytest -q tests/engine

lint: $(VENV)/.installed
	$(PY) -m compileall -q __main__.py components stack_config ops policies bootstrap tests
	$(VENV)/bin/shellcheck .ci/run components/host/bootstrap.sh

check-validators:
	@if [ -n "$(MISSING_PACKAGES)" ]; then \
	  echo "make test: missing Debian package(s) $(MISSING_PACKAGES) (cloud-init checks the user data," \
	       "promtool the scrape configs; neither is on PyPI): run 'sudo make validators'" \
	       "or 'apt-get install $(MISSING_PACKAGES)'" >&2; exit 2; fi

validators:
	@if [ -n "$(MISSING_PACKAGES)" ]; then \
	  sudo=; [ "$$(id -u)" -eq 0 ] || sudo=sudo; \
	  $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
	    --no-install-recommends $(MISSING_PACKAGES); fi

toc: $(VENV)/.installed
	$(PY) tools/readme_toc.py

clean:
	rm -rf $(VENV) .pytest_cache .tools

# The README's picture, from the program's own resources (tests/test_architecture_diagram.py
# fails when docs/architecture.json no longer matches the program). Graphviz draws it.
diagram: $(VENV)/.installed
	@command -v dot >/dev/null || { echo "make diagram: no Graphviz 'dot' on PATH; apt-get install graphviz" >&2; exit 2; }
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-diagram.txt
	$(PY) tools/architecture_diagram.py --stack prod
