# Two commands do all the setup on a fresh machine: `make run` and `make test`.
# Both bootstrap .venv from Python 3.11, install, compile catalogs and train only what changed.
SHELL := /bin/bash
.DEFAULT_GOAL := help
.SECONDEXPANSION:

VENV := .venv
PY := $(VENV)/bin/python
RASA := $(VENV)/bin/rasa
STAMP := $(VENV)/.installed
LANGS := $(notdir $(wildcard nlu_data/*))
NLU_MODELS := $(foreach lang,$(LANGS),models/nlu-$(lang).tar.gz)
CATALOGS := $(wildcard locales/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGS:.po=.mo)
RASA_ENV := RASA_TELEMETRY_ENABLED=false TF_CPP_MIN_LOG_LEVEL=3 SQLALCHEMY_SILENCE_UBER_WARNING=1

.PHONY: help setup run serve chat train test test-fast lint i18n i18n-update i18n-check validate nlu-report bench bench-long fuzz soak clean

help:
	@echo "make run      start the assistant (REST on :5005) with its action server"
	@echo "make test     lint, validate, and run every test"
	@echo "make chat     talk to the assistant in this terminal"
	@echo "make train    train what changed (one dialogue model, one NLU model per language)"
	@echo "make lint     ruff, mypy, and eslint for the browser code"
	@echo "make i18n-update   extract texts into locales/ after changing content or code"
	@echo "make nlu-report    held-out NLU accuracy per language into reports/"
	@echo "make soak     faults under load through nginx and 2 replicas, ~10 min (SOAK=--quick: ~3 min)"

# The one install step: the lock is the whole environment (no resolving); its header names the overrides
# of Rasa's metadata, and scripts/check-deps fails on any other conflict or on a package the lock does not list.
$(STAMP): pyproject.toml requirements-py311.lock requirements-dev-py311.lock scripts/find-python311 scripts/check-deps
	@py=$$(scripts/find-python311) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11)' 2>/dev/null; then \
	  echo "creating $(VENV) with $$py (any older .venv, e.g. Python 3.10, is replaced)"; \
	  rm -rf $(VENV) && "$$py" -m venv $(VENV); fi
	$(PY) -m pip install --quiet --no-deps --ignore-requires-python -r requirements-dev-py311.lock -e .
	@scripts/check-deps $(PY)
	@touch $@

setup: $(STAMP) $(COMPILED)
	@scripts/ensure-fonts

locales/%/LC_MESSAGES/messages.mo: locales/%/LC_MESSAGES/messages.po $(STAMP)
	$(VENV)/bin/pybabel compile --statistics -D messages -d locales -l $* 2>&1 | grep -v '^$$' || true
	@test -f $@

models/dialogue.tar.gz: domain.yml config.yml $(wildcard data/*.yml) $(STAMP)
	$(RASA_ENV) $(RASA) train core --domain domain.yml --stories data --config config.yml \
	  --out models --fixed-model-name dialogue

# keywords.yml is read at run time, not trained on: changing it retrains nothing.
models/nlu-%.tar.gz: $$(filter-out nlu_data/$$*/keywords.yml,$$(wildcard nlu_data/$$*/*.yml)) config.yml domain.yml $(STAMP)
	$(RASA_ENV) $(RASA) train nlu --nlu nlu_data/$* --config config.yml --domain domain.yml \
	  --out models --fixed-model-name nlu-$*

train: $(STAMP) models/dialogue.tar.gz $(NLU_MODELS)

run: setup train
	$(RASA_ENV) $(PY) -m bot run

serve: setup train
	$(RASA_ENV) $(PY) -m bot serve

chat: setup train
	$(RASA_ENV) $(PY) -m bot chat

# The browser code's linter, pinned by package-lock.json, installed into node_modules (npm, from Node).
ESLINT := node_modules/.bin/eslint
$(ESLINT): package.json package-lock.json
	@command -v npm >/dev/null || { echo "make lint needs Node.js with npm (apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

lint: $(STAMP) $(ESLINT)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(ESLINT) .

validate: $(STAMP)
	@for lang in $(LANGS); do \
	  echo "rasa data validate ($$lang)"; \
	  $(RASA_ENV) $(RASA) data validate --fail-on-warnings --domain domain.yml --config config.yml \
	    --data data nlu_data/$$lang || exit 1; done

i18n: $(COMPILED)

i18n-update: $(STAMP)
	$(VENV)/bin/pybabel extract --no-location --sort-output -F babel.cfg -o locales/messages.pot .
	$(VENV)/bin/pybabel update --no-fuzzy-matching --ignore-obsolete -D messages -i locales/messages.pot -d locales
	$(MAKE) i18n

i18n-check: $(COMPILED)
	$(PY) -m bot.cli.i18n_check

test: setup train lint validate i18n-check
	@scripts/ensure-chromium
	@scripts/test-redis
	$(RASA_ENV) $(PY) -m pytest -q

nlu-report: setup train
	$(RASA_ENV) $(PY) -m bot evaluate

fuzz: setup train
	@scripts/test-redis
	FUZZ_EXAMPLES=10000 FUZZ_RANDOM=1 $(RASA_ENV) $(PY) -m pytest tests/test_fuzz.py

bench: setup train
	$(RASA_ENV) $(PY) -m bench

bench-long: setup train
	$(RASA_ENV) $(PY) -m bench --soak-minutes 10 --train

soak: setup train
	$(RASA_ENV) $(PY) -m bench.faults $(SOAK)

clean:
	rm -rf models .rasa results
