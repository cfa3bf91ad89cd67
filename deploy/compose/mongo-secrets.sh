#!/usr/bin/env bash
# The compose MongoDB's credentials (docs/security.md "MongoDB-wire"), one user per service that uses the
# store, generated here and never committed: run once before `docker compose up`, beside kafka-secrets.sh.
#   deploy/compose/mongo-secrets.sh [DIR]      DIR: $ZYGARDE_SECRETS_DIR, else ./secrets (git- and docker-ignored)
# Writes, in DIR (mode 700):
#   mongo-root-password            the server's root user (MONGO_INITDB_ROOT_PASSWORD_FILE); the init script only
#   mongo-<service>-password       planner, selector, trainer, scaler: read by the init script
#                                  (deploy/compose/mongo-init/users.js), which creates each user
#   mongo-<service>.uri            that service's URI with its own user's credentials (ZYGARDE_MONGO_URI_FILE);
#                                  compose mounts each only into its service
# ZYGARDE_MONGO_AUTH=0 writes URIs without credentials: for a server that cannot authenticate (the FerretDB/SQLite
# image the compose tests run instead of MongoDB); the official image always authenticates once a root user is set.
# An existing file is kept (MongoDB creates the users only on an empty volume); delete DIR to make new ones.
# No password is printed.
source "$(dirname "${BASH_SOURCE[0]}")/_secrets.sh" "$@"  # $dir, password, write

write mongo-root-password "$(password)"
for service in planner selector trainer scaler; do
  write "mongo-$service-password" "$(password)"
  if [ "${ZYGARDE_MONGO_AUTH:-1}" = 0 ]; then
    write "mongo-$service.uri" "mongodb://mongo:27017/zygarde"
  else
    write "mongo-$service.uri" "mongodb://zygarde-$service:$(cat "$dir/mongo-$service-password")@mongo:27017/zygarde?authSource=zygarde"
  fi
done
echo "MongoDB credentials in $dir (root, planner, selector, trainer, scaler; auth ${ZYGARDE_MONGO_AUTH:-1})"
