#!/usr/bin/env bash
# Weekly: the overdue report of the main branch's postmortems, posted to Slack when
# SLACK_WEBHOOK_URL is set (else printed, which cron mails). Extra arguments go to pm-sync.
#
#   PM_SYNC_DOCS, PM_SYNC_BRANCH, PM_SYNC_REMOTE, PM_SYNC_ENV_FILE   as in pm-sync-push.sh
#   SLACK_WEBHOOK_URL       a Slack incoming-webhook URL (a secret: put it in PM_SYNC_ENV_FILE)
set -euo pipefail
if [ -n "${PM_SYNC_ENV_FILE:-}" ]; then set -a; . "$PM_SYNC_ENV_FILE"; set +a; fi
cd "${PM_SYNC_DOCS:-.}"
branch="${PM_SYNC_BRANCH:-main}"
remote="${PM_SYNC_REMOTE:-origin}"

git fetch --quiet "$remote" "$branch"
git checkout --quiet --force -B "$branch" "$remote/$branch"
slack=()
if [ -n "${SLACK_WEBHOOK_URL:-}" ]; then
  slack=(--slack-webhook-env SLACK_WEBHOOK_URL)
fi
exec pm-sync overdue "${slack[@]}" "$@"
