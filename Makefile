# make preview STACK=dev   offline preview of a stack (creates venv/ on first use)
# make test                the whole test suite
# make lint                byte-compile everything and run the linters that are installed
STACK ?= dev
PYTHON ?= python3
VENV := venv
PY := $(VENV)/bin/python

.PHONY: preview test lint clean

$(VENV)/.installed: requirements.txt policies/requirements.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r policies/requirements.txt
	@touch $@

preview: $(VENV)/.installed
	$(PY) -m ops preview --stack $(STACK) $(if $(JSON),--json $(JSON))

test: $(VENV)/.installed
	$(PY) -m pytest -q tests

lint: $(VENV)/.installed
	$(PY) -m compileall -q __main__.py components stack_config ops policies bootstrap tests
	@if command -v shellcheck >/dev/null; then shellcheck .ci/run components/host/bootstrap.sh; fi

clean:
	rm -rf $(VENV) .pytest_cache
