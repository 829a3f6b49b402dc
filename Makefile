# Two commands do all the set-up on a fresh machine:
#   make lab    create .venv, install everything, open the course in JupyterLab
#   make test   create .venv, install everything, run every check
# Other targets: make exercises | timings | grade | bench | mutants | seed-audit | test-latest | constraints | clean
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYVER := $(shell $(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
# One constraints file per supported Python version (README: "Python 3.10 to 3.13").
CONSTRAINTS := constraints/py$(PYVER).txt
PYTEST_ARGS ?= -n 2 --dist loadfile
LAB_ARGS ?=
ROOT_FLAG := $(shell [ "$$(id -u)" = 0 ] && echo --allow-root)
# pip keeps its downloads outside HOME, and does not phone home for its own version.
export PIP_CACHE_DIR ?= $(or $(TMPDIR),/tmp)/ablab-pip-cache
export PIP_DISABLE_PIP_VERSION_CHECK := 1
# The test run writes its tool state (IPython, Jupyter, matplotlib, fontconfig, npm) into a
# temporary folder that is removed afterwards, never into HOME or the repository.
TEST_ENV = HOME="$$state" IPYTHONDIR="$$state/ipython" MPLCONFIGDIR="$$state/matplotlib" \
	JUPYTER_CONFIG_DIR="$$state/jupyter/config" JUPYTER_DATA_DIR="$$state/jupyter/data" \
	JUPYTER_RUNTIME_DIR="$$state/jupyter/runtime" JUPYTERLAB_SETTINGS_DIR="$$state/jupyter/lab/settings" \
	JUPYTERLAB_WORKSPACES_DIR="$$state/jupyter/lab/workspaces" XDG_CACHE_HOME="$$state/cache" \
	XDG_CONFIG_HOME="$$state/config" XDG_DATA_HOME="$$state/data" npm_config_cache="$$state/npm" \
	PYTHONDONTWRITEBYTECODE=1
WITH_TEST_STATE = state=$$(mktemp -d) && trap 'rm -rf "$$state"' EXIT && $(TEST_ENV)
# pip runs `rustc --version` for its user agent; a rustup proxy then writes ~/.rustup.
WITH_INSTALL_STATE = state=$$(mktemp -d) && trap 'rm -rf "$$state"' EXIT && \
	RUSTUP_HOME="$$state/rustup" CARGO_HOME="$$state/cargo"

.PHONY: lab test test-latest install constraints exercises timings grade bench mutants seed-audit clean

install: $(STAMP)

# Reproducible install: exact versions from the constraints file of this Python version.
$(STAMP): pyproject.toml $(CONSTRAINTS)
	@[ -n "$(PYVER)" ] || { echo "make: $(PYTHON) not found; set PYTHON=python3.X (3.10 to 3.13)" >&2; exit 1; }
	@$(WITH_INSTALL_STATE) $(PYTHON) -m venv $(VENV)
	@$(WITH_INSTALL_STATE) $(BIN)/python -m pip install --quiet --upgrade "pip>=23.1"
	@$(WITH_INSTALL_STATE) $(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e ".[lab,test]"
	touch $@

$(CONSTRAINTS):
	@echo "make: Python $(PYVER) is not supported: the course pins versions for Python 3.10 to 3.13" \
		"(constraints/). Use one of those, e.g. 'make test PYTHON=python3.11'." >&2; exit 1

lab: $(STAMP)
	$(BIN)/jupyter lab $(ROOT_FLAG) --ServerApp.root_dir="$(CURDIR)" \
		--LabApp.default_url=/lab/tree/notebooks/00_welcome.ipynb $(LAB_ARGS)

test: $(STAMP)
	@$(WITH_TEST_STATE) $(BIN)/python -m pytest $(PYTEST_ARGS)

# The same checks against the newest releases, in a separate environment.
test-latest:
	@$(WITH_INSTALL_STATE) $(PYTHON) -m venv .venv-latest
	@$(WITH_INSTALL_STATE) .venv-latest/bin/python -m pip install --quiet --upgrade pip
	@$(WITH_INSTALL_STATE) .venv-latest/bin/python -m pip install --quiet --upgrade --upgrade-strategy eager -e ".[lab,test]"
	@$(WITH_TEST_STATE) .venv-latest/bin/python -m pytest $(PYTEST_ARGS)

# Refresh this Python version's constraints after a green `make test-latest`.
constraints:
	( echo "# Exact versions known to pass \`make test\` on Python $(PYVER). Refresh: \`make test-latest && make constraints\`."; \
	  .venv-latest/bin/python -m pip freeze --exclude-editable --exclude labsupport ) > $(CONSTRAINTS)

exercises: $(STAMP)
	$(BIN)/python -m labsupport build-exercises

timings: $(STAMP)
	@$(WITH_TEST_STATE) $(BIN)/python -m labsupport timings

# Grade a class: make grade SUBMISSIONS="folder-or-notebooks" [OUT=grades.csv] [TIMEOUT=120]
OUT ?= grades.csv
TIMEOUT ?= 120
grade: $(STAMP)
	@[ -n "$(SUBMISSIONS)" ] || { echo 'make grade SUBMISSIONS="path/to/submissions" [OUT=grades.csv]' >&2; exit 1; }
	$(BIN)/python -m labsupport grade $(SUBMISSIONS) --out "$(OUT)" --timeout $(TIMEOUT)

bench: $(STAMP)
	@for script in benchmarks/bench_*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) .venv-latest

# Mutation testing of labsupport (tens of minutes; not part of `make test`).
mutants: $(STAMP)
	@$(WITH_TEST_STATE) $(BIN)/python tools/mutants.py --all --jobs 2

# Compared (tagged) cells must print the same text under another SEED.
seed-audit: $(STAMP)
	@$(WITH_TEST_STATE) $(BIN)/python tools/seed_audit.py notebooks/*.ipynb solutions/*.ipynb
