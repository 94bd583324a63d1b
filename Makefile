PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Records that this checkout runs in development, so `responder ...` typed here later needs
# no RESPONDER_ENV; a RESPONDER_ENV in the environment still wins. Only the command reads it.
CHECKOUT_SETTINGS := instance/responder.env

.PHONY: run test lint format chat clean bench bench-quick bench-floor bench-scale bench-instances

## run: install, upgrade the SQLite database, serve with the phone simulator on http://127.0.0.1:5000
##      (another port: make run PORT=8000)
run: $(VENV)/.installed $(CHECKOUT_SETTINGS)
	RESPONDER_ENV=development $(BIN)/responder db upgrade
	@echo "Phone simulator: http://$(HOST):$(PORT)/simulator/"
	RESPONDER_ENV=development $(BIN)/responder run --host $(HOST) --port $(PORT)

## test: install with the dev extra and run lint, the content check and the whole suite
test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/responder content check
	$(BIN)/pytest -n auto

## chat: talk to the bot in the terminal
chat: $(VENV)/.installed $(CHECKOUT_SETTINGS)
	RESPONDER_ENV=development $(BIN)/responder db upgrade
	RESPONDER_ENV=development $(BIN)/responder chat

## bench: capacity benchmark, baseline then SQLite then PostgreSQL (BENCH_DATABASE_URL, emptied first),
##        then the app beside its floor (bench-floor)
bench: $(VENV)/.installed
	$(BIN)/python -m bench.run

## bench-quick: the same benchmark, short, in under a minute
bench-quick: $(VENV)/.installed
	$(BIN)/python -m bench.run --quick

## bench-floor: the app's CPU per message beside its web part and its SQL sent bare (BENCH_FLOOR_DATABASE_URL, emptied first)
bench-floor: $(VENV)/.installed
	$(BIN)/python -m bench.floor

## bench-scale: webhook and queue API latency with 1,000,000 conversations stored (BENCH_SCALE_DATABASE_URL, emptied first)
bench-scale: $(VENV)/.installed
	$(BIN)/python -m bench.scale

## bench-instances: two instances and two workers on one PostgreSQL (BENCH_INSTANCES_DATABASE_URL, emptied first)
bench-instances: $(VENV)/.installed
	$(BIN)/python -m bench.instances

$(CHECKOUT_SETTINGS):
	mkdir -p $(@D)
	printf '%s\n' '# Written by make run and make chat: the responder command run in this checkout' \
		'# uses development settings. Without this file it runs as production does.' \
		'RESPONDER_ENV=development' > $@

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
