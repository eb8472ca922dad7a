# make preview STACK=dev   offline preview of a stack (creates venv/ on first use)
# make test                the whole test suite
# make lint                byte-compile everything and run the linters that are installed
# make pulumi-cli          build the real Pulumi CLI, our Python language host and the stand-in
#                          AWS provider from Go modules into .tools/pulumi/bin/ (needs Go)
# make engine-test         the real-engine tests (tests/engine/); needs make pulumi-cli
STACK ?= dev
PYTHON ?= python3
VENV := venv
PY := $(VENV)/bin/python

.PHONY: preview test lint clean pulumi-cli engine-test

$(VENV)/.installed: requirements.txt policies/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r policies/requirements.txt
	@touch $@

preview: $(VENV)/.installed
	$(PY) -m ops preview --stack $(STACK) $(if $(JSON),--json $(JSON))

test: $(VENV)/.installed
	$(PY) -m pytest -q tests --ignore=tests/engine

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
	@if command -v shellcheck >/dev/null; then shellcheck .ci/run components/host/bootstrap.sh; fi

clean:
	rm -rf $(VENV) .pytest_cache .tools
