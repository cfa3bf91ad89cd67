#!/usr/bin/env bash
# Builds every image docker-compose.yml needs without pulling from a registry:
#   zygarde-base:bookworm      Debian bookworm minbase + Python 3.11 (mmdebstrap, Debian's packages)
#   zygarde-base-jre:bookworm  the same + Debian's Java 17 runtime
#   zygarde:0.1.0              the project's own Dockerfile with BASE_IMAGE=zygarde-base
#   zygarde-kafka:4.1.1        Kafka's jars from .cache/kafka (fetched by `make install`)
#   zygarde-mongowire:0.1.0    the FerretDB build in .cache/bin (built by `make install`)
#   zygarde-prometheus:0.1.0   the host's Debian Prometheus server
#   zygarde-alertmanager:0.1.0 the host's Debian Alertmanager
#   zygarde-s3:0.1.0           moto's S3 server (compose's S3 mode, deploy/compose/s3.yml)
# Then: ZYGARDE_IMAGE=localhost/zygarde:0.1.0 ZYGARDE_KAFKA_IMAGE=localhost/zygarde-kafka:4.1.1 ...
# (deploy/images/images.env lists them) docker compose up.
# The project's image installs from wheels in .cache/wheels (pip download on the host, once per
# pyproject.toml: the host's pip cache and configuration; nothing is fetched again while the
# requirements are unchanged), with no package index inside the build; nothing that runs later in a
# container talks to anything but the other containers.
set -euo pipefail
cd "$(dirname "$0")/../.."
ENGINE=(${ENGINE:-podman --runtime runc})
WORK=${ZYGARDE_IMAGES_WORK:-.cache/images}
mkdir -p "$WORK"

have() { "${ENGINE[@]}" image exists "$1" 2>/dev/null; }

base() {  # name, extra packages
  local name=$1 extra=$2
  if have "localhost/$name:bookworm"; then return; fi
  mmdebstrap --variant=minbase --include="python3,python3-venv,ca-certificates,passwd,wget${extra}" \
    bookworm "$WORK/$name.tar"
  "${ENGINE[@]}" import --change 'CMD ["/bin/bash"]' "$WORK/$name.tar" "localhost/$name:bookworm"
  rm -f "$WORK/$name.tar"
}

base zygarde-base ""
base zygarde-base-jre ",openjdk-17-jre-headless"

# The wheels of everything the Dockerfile installs, made on the host into .cache/wheels: the project's
# dependencies (from pyproject.toml, as the Dockerfile reads them), its build backend and the extra
# clients. A stamp keyed by pyproject.toml and this list skips the step while they are unchanged.
WHEELS=.cache/wheels
PY=${PY:-.venv/bin/python}
REQS=$WORK/requirements.txt
{ "$PY" -c "import tomllib; d = tomllib.load(open('pyproject.toml', 'rb'))
print(*d['project']['dependencies'], *d['build-system']['requires'], sep=chr(10))"
  printf '%s\n' 'docker>=7' 'kubernetes==35.0.0' 'boto3>=1.40' 'wheel'
  # the S3 server image's (moto's server mode for S3 alone, not its every-service extra)
  printf '%s\n' 'moto[s3]==5.2.5' 'flask==3.1.3' 'flask-cors==6.0.5'; } > "$REQS"
stamp=$(cat "$REQS" | sha256sum | cut -c1-16)
if [ ! -f "$WHEELS/.stamp-$stamp" ]; then
  mkdir -p "$WHEELS"
  "$PY" -m pip wheel -q -w "$WHEELS" -r "$REQS"
  "$PY" -m pip wheel -q --no-deps -w "$WHEELS" islp==0.6.0
  touch "$WHEELS/.stamp-$stamp"
fi
# pip inside the build: those wheels only, no index (a generated pip.conf, mounted for the build)
printf '[global]\nno-index = true\nfind-links = /wheels\n' > "$WORK/pip.conf"
MOUNTS=(-v "$PWD/$WHEELS:/wheels:ro" -v "$PWD/$WORK/pip.conf:/etc/pip.conf:ro")

build() {  # tag, context, containerfile, base
  "${ENGINE[@]}" build --network host "${MOUNTS[@]}" --build-arg "BASE_IMAGE=$4" -t "$1" -f "$3" "$2"
}

build localhost/zygarde:0.1.0 . Dockerfile localhost/zygarde-base:bookworm

ctx=$WORK/kafka && rm -rf "$ctx" && mkdir -p "$ctx"
test -f .cache/kafka/jars/.complete || { echo "no Kafka jars in .cache/kafka: run make install" >&2; exit 1; }
cp -r .cache/kafka/jars "$ctx/jars" && rm -f "$ctx/jars/.complete"
cp deploy/local/kafka/log4j2.properties deploy/images/kafka/*.sh "$ctx/"
build localhost/zygarde-kafka:4.1.1 "$ctx" deploy/images/kafka/Containerfile localhost/zygarde-base-jre:bookworm

ctx=$WORK/mongowire && rm -rf "$ctx" && mkdir -p "$ctx"
cp .cache/bin/ferretdb-sqlite deploy/images/mongowire/mongosh "$ctx/"
build localhost/zygarde-mongowire:0.1.0 "$ctx" deploy/images/mongowire/Containerfile localhost/zygarde-base:bookworm

ctx=$WORK/prometheus && rm -rf "$ctx" && mkdir -p "$ctx"
cp "$(command -v prometheus)" "$ctx/prometheus"
build localhost/zygarde-prometheus:0.1.0 "$ctx" deploy/images/prometheus/Containerfile localhost/zygarde-base:bookworm

ctx=$WORK/alertmanager && rm -rf "$ctx" && mkdir -p "$ctx"
cp "$(command -v prometheus-alertmanager)" "$ctx/alertmanager"
mkdir -p "$ctx/templates" && cp /usr/share/prometheus/alertmanager/*.tmpl "$ctx/templates/"
build localhost/zygarde-alertmanager:0.1.0 "$ctx" deploy/images/alertmanager/Containerfile localhost/zygarde-base:bookworm

build localhost/zygarde-s3:0.1.0 deploy/images/s3 deploy/images/s3/Containerfile localhost/zygarde-base:bookworm
