#!/bin/sh
# `npm run demo`: the whole loop in a minute. A fresh data folder, the bundled fixture
# submissions dropped into its inbox, then `intake start` (drop-folder watcher, workers, replies
# to the outbox folder, dashboard). Stop with Ctrl-C; the data folder is kept for a look.
set -eu
cd "$(dirname "$0")/.."
DATA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/intake-demo-XXXXXX")
mkdir -p "$DATA_DIR/inbox"
cp fixtures/submissions/*.eml "$DATA_DIR/inbox/"
export DATA_DIR
export LOG_LEVEL="${LOG_LEVEL:-warn}"
export WEB_HOST=127.0.0.1
export WEB_PORT="${WEB_PORT:-8080}"
export ADMIN_USER="${ADMIN_USER:-admin}"
export ADMIN_PASSWORD="${ADMIN_PASSWORD:-demo}"
unset IMAP_HOST SMTP_HOST DATABASE_URL 2>/dev/null || true
n=$(ls "$DATA_DIR/inbox" | wc -l)
echo "demo data folder: $DATA_DIR ($n fixture submissions in inbox/)"
echo "dashboard: http://127.0.0.1:$WEB_PORT/  user: $ADMIN_USER  password: $ADMIN_PASSWORD"
echo "replies are written to $DATA_DIR/outbox/"
exec node src/bin.mjs start
