# Two entry points: `make demo` (set up, then analyse VIDEO or a sample the project makes itself)
# and `make test` (set up, then run the whole test suite). Both work offline on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SAMPLE := out/sample_squat.npz
APT_INSTALL = { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null 2>&1 || \
  { apt-get update -qq >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null 2>&1; }; }; }

.PHONY: demo test setup clean

$(STAMP): requirements.txt requirements-dev.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@# Best effort, where apt-get runs as root: espeak-ng speaks `workout live --voice`; without it only
	@# that option is missing.
	command -v espeak-ng >/dev/null 2>&1 || $(call APT_INSTALL,espeak-ng) || \
	  echo "note: espeak-ng not installed; 'workout live --voice' needs it (apt install espeak-ng)"
	@# ffmpeg decodes what OpenCV's own FFmpeg cannot (AV1); the tests also make phone and web codecs with it.
	command -v ffmpeg >/dev/null 2>&1 || $(call APT_INSTALL,ffmpeg) || \
	  echo "note: ffmpeg not installed; AV1 videos cannot be read (apt install ffmpeg)"
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
	@# Chromium runs the web page's browser test (best effort, as espeak-ng above; else that test skips)
	command -v chromium >/dev/null 2>&1 || $(call APT_INSTALL,chromium) || \
	  echo "note: chromium not installed; the browser test of 'workout serve' will skip"
	$(BIN)/python -m pytest -q

clean:
	rm -rf $(VENV) out .pytest_cache
