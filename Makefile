# The two set-up commands of the README: `make demo` and `make test`. Both install what they need
# (virtualenv, Kafka jars, the FerretDB server, Prometheus) and cache it under ignored folders.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install lint unit clean

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev,spark,bench]'
	# ISLP ships the credit-default and caravan datasets; its own heavy dependencies are not needed.
	$(BIN)/pip install -q --no-deps islp==0.6.0
	touch $@

install: $(BIN)/.installed
	$(BIN)/python -m zygarde.localstack.install

demo: install
	$(BIN)/zygarde demo

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

test: install lint
	# tmux: the terminal the `zygarde top` test draws in
	command -v tmux >/dev/null || (apt-get update -qq && apt-get install -y -qq tmux)
	$(BIN)/pytest -q

clean:
	$(BIN)/zygarde down || true
