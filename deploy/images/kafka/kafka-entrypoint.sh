#!/bin/bash
# KAFKA_FOO_BAR=x -> foo.bar=x, as the apache/kafka image reads them (KAFKA_OPTS and KAFKA_HEAP_OPTS are the
# JVM's); formats the log dir once.
set -euo pipefail
conf=/tmp/server.properties
: > "$conf"
while IFS='=' read -r name value; do
  key=$(echo "${name#KAFKA_}" | tr '[:upper:]' '[:lower:]' | tr '_' '.')
  echo "$key=$value" >> "$conf"
done < <(env | grep -E '^KAFKA_[A-Z0-9_]+=' | grep -Ev '^KAFKA_(HEAP_)?OPTS=')
# KAFKA_OPTS: the JVM's own options, as apache/kafka takes them (compose: the broker's JAAS file)
java=(java ${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m} ${KAFKA_OPTS:-}
      -Dlog4j2.configurationFile=/opt/kafka/config/log4j2.properties -cp '/opt/kafka/libs/*')
logdir=$(grep '^log.dirs=' "$conf" | cut -d= -f2)
if [ ! -f "${logdir:-/tmp/kraft}/meta.properties" ]; then
  "${java[@]}" kafka.tools.StorageTool format -t "$("${java[@]}" kafka.tools.StorageTool random-uuid | tail -1)" \
    -c "$conf" --standalone 2>/dev/null || "${java[@]}" kafka.tools.StorageTool format \
    -t "$("${java[@]}" kafka.tools.StorageTool random-uuid | tail -1)" -c "$conf"
fi
exec "${java[@]}" kafka.Kafka "$conf"
