#!/usr/bin/env bash
# The compose broker's Kafka credentials (SASL/SCRAM-SHA-512 + ACLs, docs/security.md), one principal per
# service, generated here and never committed: run once before `docker compose up`.
#   deploy/compose/kafka-secrets.sh [DIR]       DIR: $ZYGARDE_SECRETS_DIR, else ./secrets (git- and docker-ignored)
# Writes, in DIR (mode 700):
#   kafka-jaas.conf                the broker's: the admin (its super user; PLAIN, also broker <-> controller)
#   kafka-healthcheck.properties   the admin's settings for the broker's health check (Java client form)
#   kafka-admin.properties         the admin's librdkafka settings: the init services (principals, ACLs, topics)
#   kafka-<principal>.properties   planner, selector, trainer, scaler, submitter: each service's own
#                                  librdkafka settings (SCRAM-SHA-512); compose mounts each only into its service
# Files are written as deploy/compose/_secrets.sh says (644 in a 700 folder). An existing file is
# kept (the broker's volume keeps the credentials it was given); delete DIR to make new ones. No password
# is printed.
source "$(dirname "${BASH_SOURCE[0]}")/_secrets.sh" "$@"  # $dir, password, write

if [ -s "$dir/kafka-admin.properties" ]; then
  admin=$(sed -n 's/^sasl.password=//p' "$dir/kafka-admin.properties")
else
  admin=$(password)
fi
# one section for both listeners: PLAIN (the admin; the broker to its controller) and SCRAM (the services,
# whose credentials the broker keeps; without a ScramLoginModule here it drops every SCRAM handshake)
write kafka-jaas.conf "KafkaServer {
  org.apache.kafka.common.security.plain.PlainLoginModule required
  username=\"admin\" password=\"$admin\" user_admin=\"$admin\";
  org.apache.kafka.common.security.scram.ScramLoginModule required;
};
"
write kafka-healthcheck.properties "security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username=\"admin\" password=\"$admin\";
"
write kafka-admin.properties "# the broker's super user: the init services only
security.protocol=SASL_PLAINTEXT
sasl.mechanism=PLAIN
sasl.username=admin
sasl.password=$admin
"
for principal in planner selector trainer scaler submitter; do
  write "kafka-$principal.properties" "security.protocol=SASL_PLAINTEXT
sasl.mechanism=SCRAM-SHA-512
sasl.username=$principal
sasl.password=$(password)
"
done
echo "Kafka credentials in $dir (admin, planner, selector, trainer, scaler, submitter)"
