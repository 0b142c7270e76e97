# Two commands, both safe to run again; each creates .venv when it is missing.
#   make        set up, then run the main job: evaluate and validate the examples, build the site
#   make test   set up, then run the whole test suite (what CI runs)
# And for a quick local run while working:
#   make test-fast   every test except the slow end-to-end ones (marked `slow`: the built
#                    site in a browser, the executed notebook, the installed wheel)
# And one for writing docs:
#   make serve  the site with live reload on http://127.0.0.1:8000
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.stillhouse-installed

.PHONY: all main test test-fast serve chromium example bytecode

all: main

# (Re)install whenever the dependency declarations change.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[models,docs,example,test]'
	@touch $@

# Compiled bytecode for the harness, so each command starts without compiling it (about
# 50 ms of every `stillhouse` call; environments with PYTHONDONTWRITEBYTECODE never cache it
# themselves). Only changed files are recompiled; a stale .pyc is ignored by Python anyway.
bytecode: $(STAMP)
	@$(PY) -m compileall -q harness standards

# The main job: build and check the worked example (data frozen, teacher assembled,
# students distilled only when their inputs changed, eval --gate: the example passes and
# its no-typos sibling fails as intended, validate), then evaluate and gate the other
# example projects and validate them (validate finds their current, passing reports),
# then build the site. Any failure stops the job. The site build executes the worked
# example notebook, or reuses its executed copy (.cache/stillhouse-site/) while nothing it
# depends on has changed; a cell error or any MkDocs warning fails the build (--strict).
EXAMPLES := examples/minimal examples/generation-mini examples/generation-mini/sequence-level

main: $(STAMP) bytecode
	$(PY) examples/worked-example/build.py
	$(PY) examples/generation-mini/build.py --no-eval
	@set -e; for p in $(EXAMPLES); do \
	  echo "== stillhouse eval $$p --gate"; \
	  $(PY) -m harness eval $$p --gate --quiet; \
	  echo "== stillhouse validate $$p"; \
	  $(PY) -m harness validate $$p; \
	done
	@echo "== mkdocs build --strict"
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict
	@echo "The site is in site/: open site/index.html, or run 'make serve' and open http://127.0.0.1:8000"

# Live reload while writing docs or code: rebuilds on changes to docs/, harness/,
# standards/ and examples/.
serve: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs serve --dev-addr 127.0.0.1:8000

# The browser test drives Debian's chromium (never a browser Playwright downloads).
# Installed once; skipped when it is already there. CI runs as root on a fresh machine.
chromium:
	@test -x /usr/bin/chromium || { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium; }

# Two phases: the tests marked `alone` (they gate real latency budgets, the worked example's
# 8 ms and the minimal example's 50 ms on a Ray worker, which a test beside them on the other
# core would break), then the rest on two workers, a
# test file per worker so a module's fixtures are built once.
XDIST := -n 2 --dist loadfile

test: $(STAMP) bytecode chromium
	$(PY) -m pytest -m alone
	$(PY) -m pytest $(XDIST) -m "not alone"

test-fast: $(STAMP) bytecode
	$(PY) -m pytest $(XDIST) -m "not slow"

# The worked example end to end: data check, teacher, distill (skipped when current),
# eval --gate (the sibling that never saw a typo must fail its gate), validate. See its README.
example: $(STAMP)
	$(PY) examples/worked-example/build.py
