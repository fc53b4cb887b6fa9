# WeWall Bot. Two commands matter: `make run` (set up and start) and `make test` (every CI check).
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := $(VENV)/.stamp-install
# Web chat (web/package.json): socket.io-client for the page, playwright-core for its browser test.
WEB_STAMP := web/node_modules/.stamp-npm
# The Russian spaCy pipeline saved by nlp.to_disk (wewall/nlu/spacy_ru.py).
SPACY_MODEL := models/spacy_ru
SPACY_STAMP := $(SPACY_MODEL)/.stamp-build
CHROMIUM := /usr/bin/chromium

# Embedded defaults: no service needed. Any of these may be overridden from the environment
# (docker-compose and CI set PostgreSQL, Redis and MongoDB); .env.example lists them all.
export RASA_TELEMETRY_ENABLED ?= false
export WEWALL_DATA_DIR ?= $(CURDIR)/.wewall
export WEWALL_TRACKER_STORE_URL ?= sqlite:///$(WEWALL_DATA_DIR)/tracker.db
export WEWALL_LOCK_STORE_TYPE ?= wewall.lock_store.WewallInMemoryLockStore
export WEWALL_REDIS_HOST ?= localhost
export WEWALL_REDIS_PORT ?= 6379
export WEWALL_REDIS_DB ?= 1
export WEWALL_RASA_PORT ?= 5005
export WEWALL_ACTIONS_PORT ?= 5055
export WEWALL_ACTION_ENDPOINT_URL ?= http://localhost:$(WEWALL_ACTIONS_PORT)/webhook
# The worker's follow-ups reach Rasa's HTTP API here.
export WEWALL_RASA_URL ?= http://localhost:$(WEWALL_RASA_PORT)
# amoCRM outbox (endpoints.yml event_broker, `wewall worker`): SQLAlchemy URL.
export WEWALL_OUTBOX_URL ?= sqlite:///$(WEWALL_DATA_DIR)/outbox.db
# The lead book (actions/manager.py, `wewall leads`): SQLAlchemy URL.
export WEWALL_LEADS_URL ?= sqlite:///$(WEWALL_DATA_DIR)/leads.db
export SQLALCHEMY_SILENCE_UBER_WARNING ?= 1
export TF_CPP_MIN_LOG_LEVEL ?= 2
# `make test` sends 2 000 garbage messages (the same mix) to stay inside CI's time; `make soak`
# sends the full 10 000.
export WEWALL_GARBAGE_MESSAGES ?= 2000

MODEL_INPUTS := config.yml $(shell find domain data -name '*.yml' 2>/dev/null) $(shell find wewall/nlu -name '*.py' 2>/dev/null)

.PHONY: soak help install run train data-demo test lint format pytest validate test-stories test-nlu crossval spacy-ru bench shell clean browser

# Every target carries a «## what it does» comment on its rule line; `make help` lists them all.
help: ## эта справка: все цели
	@echo "Главное: make run (поднять бота) и make test (все проверки CI)."
	@grep -E '^[a-z][a-z-]*:.*## ' $(MAKEFILE_LIST) | sed -E 's/^([a-z-]+):.*## (.*)$$/  make \1|\2/' | \
	  awk -F'|' '{ printf "%-20s %s\n", $$1, $$2 }'

install: $(STAMP) $(WEB_STAMP) $(SPACY_STAMP) ## установить зависимости (venv на Python 3.10, npm веб-чата, конвейер spaCy), только если изменились входы

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

# npm ci only when the lockfile changes (registry packages, nothing from a CDN).
$(WEB_STAMP): web/package.json web/package-lock.json
	@command -v npm >/dev/null || { echo "нужен Node.js 20+ с npm (веб-чат: web/package.json)" >&2; exit 1; }
	cd web && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's Chromium for the web chat's browser test (tests/e2e/test_webchat_browser.py); playwright-core
# drives it and downloads no browser. Installed once, quietly; without root it only says what to do.
browser: ## Chromium и poppler из Debian для браузерных тестов и теста PDF (если их нет)
	@if [ ! -x $(CHROMIUM) ] || ! command -v pdftoppm >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then sudo=""; \
	  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo="sudo -n"; \
	  else echo "нет $(CHROMIUM): браузерный тест веб-чата будет пропущен (sudo apt-get install chromium)"; exit 0; fi; \
	  echo "устанавливаю Chromium и poppler для браузерных тестов и теста PDF (apt-get install chromium poppler-utils)…"; \
	  log=$$(mktemp); \
	  if { $$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq \
	       --no-install-recommends chromium fonts-dejavu-core fonts-liberation poppler-utils; } >$$log 2>&1; \
	  then rm -f $$log; else tail -20 $$log; rm -f $$log; echo "Chromium/poppler не установлены: эти тесты упадут или будут пропущены" >&2; fi; \
	fi

# The station list is frozen into the model (WewallEntityExtractor): an imported table retrains.
STATION_TABLE := $(wildcard $(WEWALL_DATA_DIR)/mongo/wewall/subway_stations.bson)
models/.stamp: $(STAMP) $(MODEL_INPUTS) $(STATION_TABLE) | data-demo
	@mkdir -p models
	$(PY) scripts/validate.py
	$(RASA) train --skip-validation --fixed-model-name wewall --out models
	@touch $@

train: models/.stamp ## обучить модель models/wewall.tar.gz (если изменились данные, конфиг или станции)

data-demo: $(STAMP) ## загрузить демо-данные в пустые коллекции (загруженные не трогает)
	@mkdir -p $(WEWALL_DATA_DIR)
	$(VENV)/bin/wewall data load-demo

run: $(STAMP) $(WEB_STAMP) data-demo models/.stamp ## установить всё нужное, загрузить демо-данные, обучить модель и запустить бота
	@scripts/run.sh

shell: $(STAMP) data-demo models/.stamp ## поговорить с ботом в терминале (rasa shell)
	$(RASA) shell --endpoints endpoints.yml -m models

# The same checks as the pre-commit hooks (.pre-commit-config.yaml), all three even when one fails;
# docs/decisions/lint.md says what is checked and why.
lint: $(STAMP) ## ruff (ошибки, порядок импортов) и mypy по wewall/ и actions/
	@status=0; \
	echo "ruff check"; $(VENV)/bin/ruff check . || status=1; \
	echo "mypy"; $(VENV)/bin/mypy || status=1; \
	exit $$status

format: $(STAMP) ## исправить то, что ruff правит сам (порядок импортов, мелочи)
	$(VENV)/bin/ruff check --fix .

validate: $(STAMP) ## проверить данные обучения и домен (rasa data validate и проверки проекта)
	$(PY) scripts/validate.py

pytest: $(STAMP) $(WEB_STAMP) browser ## все тесты pytest: модульные, контрактные, сквозные
	$(PY) -m pytest -q -p no:cacheprovider

test-stories: models/.stamp ## rasa test core: диалоговые тесты tests/test_*.yml
	$(RASA) test core --stories tests/ --fail-on-prediction-errors -m models/wewall.tar.gz --out results

test-nlu: models/.stamp ## rasa test nlu на отложенном наборе tests/nlu/test_nlu.yml и его пороги
	$(RASA) test nlu --nlu tests/nlu/test_nlu.yml -m models/wewall.tar.gz --out results
	$(PY) scripts/check_nlu_report.py results

test: $(STAMP) ## все проверки CI по порядку, со сводкой (scripts/test.sh)
	@scripts/test.sh

# Fixed folds (scripts/crossval.py says why not `rasa test nlu --cross-validation`); prints intent
# F1 per intent, entity F1 and the FallbackClassifier threshold table. CROSSVAL_ARGS="--folds 3
# --epochs-scale 0.5" is a quicker proxy; `--report results/crossval` reprints a finished run.
crossval: $(STAMP) data-demo ## 5-кратная кросс-валидация NLU на фиксированных фолдах (results/crossval)
	$(PY) scripts/crossval.py --folds 5 --out results/crossval $(CROSSVAL_ARGS)

# The Russian spaCy pipeline from natasha's wheel, nothing downloaded (docs/nlu.md, «spaCy в
# конвейере»): part of `make install`, rebuilt only when its module or the pins change. It saves
# no vectors (they are read from navec's file at run time), so it is 36 KB and seconds of work.
spacy-ru: $(SPACY_STAMP) ## русский конвейер spaCy из колёс natasha (models/spacy_ru, входит в make install)
$(SPACY_STAMP): $(STAMP) wewall/nlu/spacy_ru.py
	rm -rf $(SPACY_MODEL)
	$(PY) -m wewall.nlu.spacy_ru $(SPACY_MODEL)
	@touch $@

bench: $(STAMP) data-demo ## бенчмарки (python -m bench); вывод каждого пишется в docs/benchmarks.md
	$(PY) -m bench

soak: models/.stamp ## 10 000 мусорных сообщений боту (в make test — 2 000)
	WEWALL_GARBAGE_MESSAGES=10000 $(PY) -m pytest -q -s -p no:cacheprovider tests/e2e/test_garbage.py

clean: ## удалить модели и результаты тестов
	rm -rf models results .pytest_cache
