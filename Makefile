# Two commands do all the set-up on a fresh machine:
#   make lab    create .venv, install everything, open the course in JupyterLab
#   make test   create .venv, install everything, run every check
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CONSTRAINTS := constraints.txt
PYTEST_ARGS ?= -n 2 --dist loadfile
LAB_ARGS ?=
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)

.PHONY: lab test test-latest install constraints exercises timings clean

install: $(STAMP)

# Reproducible install: exact versions from the committed constraints file.
$(STAMP): pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=23.1"
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e ".[lab,test]"
	touch $@

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb $(LAB_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The same checks against the newest releases, in a separate environment.
test-latest:
	$(PYTHON) -m venv .venv-latest
	.venv-latest/bin/python -m pip install --quiet --upgrade pip
	.venv-latest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e ".[lab,test]"
	.venv-latest/bin/python -m pytest $(PYTEST_ARGS)

# Refresh the constraints file after a green `make test-latest`.
constraints:
	.venv-latest/bin/python -m pip freeze --exclude-editable --exclude labsupport > $(CONSTRAINTS)

exercises: $(STAMP)
	$(BIN)/python -m labsupport build-exercises

timings: $(STAMP)
	$(BIN)/python -m labsupport timings

clean:
	rm -rf $(VENV) .venv-latest
