# Every target works on a fresh machine: the first one that needs Python builds .venv/.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The PostgreSQL leg of the suite; unreachable -> those tests skip, SQLite ones still run.
TEST_DATABASE_URL ?= postgresql+asyncpg://postgres@127.0.0.1:5432/test
export TEST_DATABASE_URL
# The Redis leg (FSM storage, several workers): database 15, keys under per-test prefixes.
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
export TEST_REDIS_URL

.PHONY: run test lint format i18n eval-nlu bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python run_bot.py

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest -q

# Intent and argument accuracy of the offline parser: corpus.jsonl (its failures guided the
# rules) and holdout.jsonl (written later, never read by whoever wrote the rules).
eval-nlu: $(STAMP)
	$(BIN)/python -m nlu.eval --corpus nlu/eval/corpus.jsonl
	$(BIN)/python -m nlu.eval --corpus nlu/eval/holdout.jsonl

# Reminder delivery with 10,000 pending reminders: start-up sweep, catch-up, lateness.
# Matching and lead scores with 100,000 contacts and 50,000 listings: p50/p95 per query.
# Usage analytics: updates with analytics on vs off, and the cost of writing the counts.
bench: $(STAMP)
	$(BIN)/python -m bench.reminders
	$(BIN)/python -m bench.matching
	$(BIN)/python -m bench.analytics

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Re-extract the strings and merge them into the catalogues (translate, then commit the .po).
i18n: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -k __ -k N_ -k ngettext:1,2 -k lazy_gettext \
		--no-location --sort-output -o locales/messages.pot \
		bot crm_core handlers nlu
	$(BIN)/pybabel update -i locales/messages.pot -d locales -D messages \
		--no-fuzzy-matching --ignore-obsolete

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis
