# Two commands, both safe to run again; each creates .venv when it is missing.
#   make        set up, then run the main job (see README)
#   make test   set up, then run the whole test suite
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.stillhouse-installed

.PHONY: all main test example

all: main

# (Re)install whenever the dependency declarations change.
$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[models,docs,example,test]'
	@touch $@

# The main job: validate the example projects and print the result. Exit 1 (a standard
# failed) is reported but expected while an example still lacks its report; exit 2
# (unusable input) stops the job.
main: $(STAMP)
	$(PY) examples/worked-example/build.py
	@for p in examples/minimal; do \
	  echo "== stillhouse validate $$p"; \
	  $(PY) -m harness validate $$p; rc=$$?; \
	  if [ $$rc -eq 2 ]; then exit 2; fi; \
	done

test: $(STAMP)
	$(PY) -m pytest

# The worked example end to end: data check, teacher, distill (skipped when current),
# eval --gate (the sibling that never saw a typo must fail its gate), validate. See its README.
example: $(STAMP)
	$(PY) examples/worked-example/build.py
