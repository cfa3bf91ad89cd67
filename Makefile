# The two set-up commands of the README: `make demo` and `make test`. Both install what they need
# (virtualenv, Kafka jars, the FerretDB server, Prometheus) and cache it under ignored folders.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test install lint unit clean bench-env engine images

$(BIN)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q -e '.[dev,spark,bench]'
	# ISLP ships the credit-default and caravan datasets; its own heavy dependencies are not needed.
	$(BIN)/pip install -q --no-deps islp==0.6.0
	touch $@

# helm renders and lints deploy/helm/zygarde in tests/contract/test_helm.py. No release binary can be
# downloaded here; its Go module builds it (cached under .cache/). The ldflags give it its version and
# Kubernetes 1.31 as the default it renders for, as a release binary has.
HELM_VERSION := v3.16.4
HELM := .cache/bin/helm
$(HELM):
	mkdir -p .cache/bin
	GOMODCACHE=$(CURDIR)/.cache/go/mod GOCACHE=$(CURDIR)/.cache/go/build GOBIN=$(CURDIR)/.cache/bin \
	CGO_ENABLED=0 GOFLAGS=-mod=mod go install -ldflags "-X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
	-X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=31" \
	helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

# The container engine the compose tests (tests/compose/) run docker-compose.yml under: podman with
# runc (crun fails on hosts with hybrid cgroups), its Docker API for docker-compose, catatonit as the
# containers' init, and mmdebstrap for the registry-free base images of deploy/images/build.sh.
ENGINE_TOOLS := podman runc mmdebstrap docker-compose
engine:
	(for t in $(ENGINE_TOOLS) /usr/libexec/podman/catatonit; do command -v $$t >/dev/null || exit 1; done) \
	|| (apt-get update -qq && apt-get install -y -qq podman runc mmdebstrap docker-compose catatonit)

# Every image docker-compose.yml needs, with no registry (deploy/images/README.md); cached by podman's
# layers and .cache/wheels, so a rebuild after a source change redoes only the small layers.
images: install
	CONTAINERS_CONF=$(CURDIR)/deploy/images/containers.conf PY=$(BIN)/python deploy/images/build.sh

install: $(BIN)/.installed $(HELM) engine
	$(BIN)/python -m zygarde.localstack.install
	# TypeScript and @grafana/schema under .cache/ for the dashboards' type check (no Grafana server here)
	command -v npm >/dev/null || (apt-get update -qq && apt-get install -y -qq npm)
	$(BIN)/python deploy/grafana/typecheck/prepare.py

# `python -m bench automl` runs AutoGluon in a virtualenv of its own: it needs pandas<2.4, the project pandas 3
bench-env: install
	test -x .venv-autogluon/bin/python || $(PY) -m venv .venv-autogluon
	.venv-autogluon/bin/pip install -q 'autogluon.tabular[lightgbm,catboost,xgboost]==1.6.3'

demo: install
	$(BIN)/zygarde demo

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/mypy

test: install lint images
	# tmux: the terminal the `zygarde top` test draws in
	command -v tmux >/dev/null || (apt-get update -qq && apt-get install -y -qq tmux)
	# chromium: the browser the web console's tests drive (Playwright launches Debian's, downloads none)
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)
	$(BIN)/pytest -q

clean:
	$(BIN)/zygarde down || true
