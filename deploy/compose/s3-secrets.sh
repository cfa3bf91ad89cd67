#!/usr/bin/env bash
# S3 credentials for compose's S3 mode (deploy/compose/s3.yml), one key pair per principal, generated here
# and never committed: run once before `docker compose -f docker-compose.yml -f deploy/compose/s3.yml up`.
#   deploy/compose/s3-secrets.sh [DIR]       DIR: $ZYGARDE_SECRETS_DIR, else ./secrets (git- and docker-ignored)
# Writes, in DIR (mode 700), AWS shared credentials files (boto3's standard chain reads them through
# AWS_SHARED_CREDENTIALS_FILE):
#   s3-admin.credentials       the operator's: creates the bucket (the s3-bucket one-shot), uploads datasets
#   s3-<service>.credentials   planner, selector, trainer: each service's own; compose mounts each only into
#                              its service, and the scaler mounts the trainer's into the trainers it starts
# On real S3 or MinIO put the keys of users you made there into these files instead (a file that exists is
# kept): the planner needs read on the data prefix, the trainer read on it and read/write on the artifacts
# prefix, the selector read/write on the artifacts prefix. The bundled moto server checks no key.
# No key is printed.
source "$(dirname "${BASH_SOURCE[0]}")/_secrets.sh" "$@"  # $dir, password, write

token() { head -c "$1" /dev/urandom | od -An -tx1 | tr -d ' \n'; }

for principal in admin planner selector trainer; do
  write "s3-$principal.credentials" "$(printf '[default]\naws_access_key_id = ZYG%s\naws_secret_access_key = %s\n' \
    "$(token 8 | tr a-f A-F)" "$(token 20)")
"
done
echo "S3 credentials in $dir (admin, planner, selector, trainer)"
