# Sourced by the compose credential scripts (kafka-secrets.sh, mongo-secrets.sh): the folder they write to
# and how they write. Sets $dir: the first argument, else $ZYGARDE_SECRETS_DIR, else ./secrets (mode 700).
# The files are 644 inside the 700 folder: the containers run as users other than the one that ran the
# script, and each container gets only its own file (a compose secret, mounted read-only).
set -euo pipefail
dir=${1:-${ZYGARDE_SECRETS_DIR:-./secrets}}
mkdir -p "$dir" && chmod 700 "$dir"
umask 022

password() { head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n'; }

write() {  # file, content: written whole under a temporary name, then moved into place; an existing file is kept
  [ -s "$dir/$1" ] && return 0
  printf '%s' "$2" > "$dir/.$1.tmp" && chmod 644 "$dir/.$1.tmp" && mv "$dir/.$1.tmp" "$dir/$1"
}
