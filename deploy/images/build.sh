#!/usr/bin/env bash
# Builds every image docker-compose.yml needs without pulling from a registry:
#   zygarde-base:bookworm      Debian bookworm minbase + Python 3.11 (mmdebstrap, Debian's packages)
#   zygarde-base-jre:bookworm  the same + Debian's Java 17 runtime
#   zygarde:0.1.0              the project's own Dockerfile with BASE_IMAGE=zygarde-base
#   zygarde-kafka:4.1.1        Kafka's jars from .cache/kafka (fetched by `make install`)
#   zygarde-mongowire:0.1.0    the FerretDB build in .cache/bin (built by `make install`)
#   zygarde-prometheus:0.1.0   the host's Debian Prometheus server
#   zygarde-alertmanager:0.1.0 the host's Debian Alertmanager
# Then: ZYGARDE_IMAGE=localhost/zygarde:0.1.0 ZYGARDE_KAFKA_IMAGE=localhost/zygarde-kafka:4.1.1 ...
# (deploy/images/images.env lists them) docker compose up.
# Only the build of the project's image reaches a package registry (pip, through the host's network
# and CA bundle); nothing that runs later in a container talks to anything but the other containers.
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

# The host's CA bundle and pip configuration: pip inside the build reaches the package index exactly
# as the host's pip does.
MOUNTS=(-v /etc/ssl/certs:/etc/ssl/certs:ro)
if [ -f /etc/pip.conf ]; then MOUNTS+=(-v /etc/pip.conf:/etc/pip.conf:ro); fi

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
