# The two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv, install Touchline into it, and are safe to run again.

PYTHON ?= $(shell command -v python3.11 || command -v python3.12 || command -v python3.10 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

export DBT_SEND_ANONYMOUS_USAGE_STATS := false
export DAGSTER_DISABLE_TELEMETRY := 1

.PHONY: install demo test lint dev clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	@echo "installing Touchline and its pinned dependencies into $(VENV) ..."
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: install
	@$(BIN)/touchline prepare
	$(BIN)/touchline demo

test: install
	@scripts/ensure_mariadb.sh
	@$(BIN)/touchline prepare
	@scripts/ensure_browser.sh && cd tag && node --test test/
	$(BIN)/ruff check .
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

dev: install
	$(BIN)/touchline dev

clean:
	rm -rf $(VENV) .touchline dbt_project/target dbt_project/logs
