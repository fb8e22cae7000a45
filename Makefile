# Two entry points: `make demo` (set up, then analyse VIDEO or a sample the project makes itself)
# and `make test` (set up, then run the whole test suite). Both work offline on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := out/sample_squat.npz

.PHONY: demo test setup clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@# espeak-ng speaks `workout live --voice`; best effort: without it only that option is missing
	command -v espeak-ng >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  { apt-get install -y -qq espeak-ng >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq espeak-ng >/dev/null 2>&1; }; }; } || \
	  echo "note: espeak-ng not installed; 'workout live --voice' needs it (apt install espeak-ng)"
	touch $(STAMP)

setup: $(STAMP)

demo: $(STAMP)
ifdef VIDEO
	$(BIN)/workout analyze "$(VIDEO)"
else
	mkdir -p out
	$(BIN)/workout synth --exercise squat --reps 8 --seed 7 -o $(SAMPLE)
	$(BIN)/workout analyze $(SAMPLE)
endif

test: $(STAMP)
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out .pytest_cache
