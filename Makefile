# WeWall Bot. Two commands matter: `make run` (set up and start) and `make test` (every CI check).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := $(VENV)/.stamp-install

# Embedded defaults: no service needed. Any of these may be overridden from the environment
# (docker-compose and CI set PostgreSQL, Redis and MongoDB); .env.example lists them all.
export RASA_TELEMETRY_ENABLED ?= false
export WEWALL_DATA_DIR ?= $(CURDIR)/.wewall
export WEWALL_TRACKER_STORE_URL ?= sqlite:///$(WEWALL_DATA_DIR)/tracker.db
export WEWALL_LOCK_STORE_TYPE ?= in_memory
export WEWALL_REDIS_HOST ?= localhost
export WEWALL_REDIS_PORT ?= 6379
export WEWALL_REDIS_DB ?= 1
export WEWALL_RASA_PORT ?= 5005
export WEWALL_ACTIONS_PORT ?= 5055
export WEWALL_ACTION_ENDPOINT_URL ?= http://localhost:$(WEWALL_ACTIONS_PORT)/webhook
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
export TF_CPP_MIN_LOG_LEVEL ?= 2

MODEL_INPUTS := config.yml domain.yml $(shell find data -name '*.yml' 2>/dev/null)

.PHONY: help install run train test pytest validate test-stories test-nlu crossval bench shell clean

help:
	@echo "make run       — установить всё нужное, загрузить демо-данные, обучить модель и запустить бота"
	@echo "make test      — все проверки CI (pytest, validate, train, rasa test)"
	@echo "make install | train | validate | crossval | bench | shell | clean"

install: $(STAMP)

# Rebuilt only when the pins change, so a second `make` costs nothing.
$(STAMP): requirements.txt constraints.txt pyproject.toml scripts/find-python310.sh
	@py=$$(scripts/find-python310.sh) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; assert sys.version_info[:2] == (3, 10)' 2>/dev/null; then \
	  rm -rf $(VENV); echo "venv: $$py"; $$py -m venv $(VENV) || exit 1; \
	fi
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade "pip==24.0"
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $@

models/.stamp: $(STAMP) $(MODEL_INPUTS)
	@mkdir -p models
	$(RASA) train --fixed-model-name wewall --out models
	@touch $@

train: models/.stamp

data-demo: $(STAMP)
	@mkdir -p $(WEWALL_DATA_DIR)
	$(VENV)/bin/wewall data load-demo

run: $(STAMP) data-demo models/.stamp
	@scripts/run.sh

shell: $(STAMP) data-demo models/.stamp
	$(RASA) shell --endpoints endpoints.yml -m models

validate: $(STAMP)
	$(RASA) data validate --fail-on-warnings

pytest: $(STAMP)
	$(PY) -m pytest -q -p no:cacheprovider

test-stories: models/.stamp
	$(RASA) test core --stories tests/ --fail-on-prediction-errors -m models/wewall.tar.gz --out results

test-nlu: models/.stamp
	$(RASA) test nlu --nlu tests/nlu/test_nlu.yml -m models/wewall.tar.gz --out results
	$(PY) scripts/check_nlu_report.py results

test: $(STAMP)
	@scripts/test.sh

crossval: $(STAMP)
	$(RASA) test nlu --nlu data/nlu --cross-validation --folds 5 --out results/crossval

bench: $(STAMP) data-demo
	$(PY) -m bench

clean:
	rm -rf models results .pytest_cache
