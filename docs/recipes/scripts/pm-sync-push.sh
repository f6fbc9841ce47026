#!/usr/bin/env bash
# Push the action items of every Final postmortem and commit the ticket keys to the main branch.
# For cron or a Kubernetes CronJob (docs/recipes/cron.md). Runs in a checkout of the docs
# repository that only pm-sync uses: it resets that checkout to the remote branch first.
#
#   PM_SYNC_DOCS      the checkout (default: the working directory)
#   PM_SYNC_PATHS     postmortem files, folders or globs (default: docs/technical)
#   PM_SYNC_BRANCH    the main branch (default: main); PM_SYNC_REMOTE (default: origin)
#   PM_SYNC_ENV_FILE  a file of VAR=value lines read first (tokens; keep it mode 600)
set -euo pipefail
if [ -n "${PM_SYNC_ENV_FILE:-}" ]; then set -a; . "$PM_SYNC_ENV_FILE"; set +a; fi
cd "${PM_SYNC_DOCS:-.}"
branch="${PM_SYNC_BRANCH:-main}"
remote="${PM_SYNC_REMOTE:-origin}"
git_() { git -c user.name="${PM_SYNC_GIT_NAME:-pm-sync}" -c user.email="${PM_SYNC_GIT_EMAIL:-pm-sync@localhost}" "$@"; }

git fetch --quiet "$remote" "$branch"
git checkout --quiet --force -B "$branch" "$remote/$branch"

set -f
paths=(${PM_SYNC_PATHS:-docs/technical})
set +f
mapfile -t finals < <(pm-sync parse "${paths[@]}" --json | python3 -c '
import json, sys
docs = json.load(sys.stdin)
for doc in docs if isinstance(docs, list) else [docs]:
    if (doc.get("status") or "").strip(" *_").casefold() == "final":
        print(doc["path"])
')
if [ ${#finals[@]} -eq 0 ]; then
  echo "pm-sync: no Final postmortems under ${paths[*]}"
  exit 0
fi

status=0
pm-sync push "${finals[@]}" || status=$?
if ! git diff --quiet -- "${finals[@]}"; then
  git_ commit --quiet --message "pm-sync: ticket keys for Final postmortems" -- "${finals[@]}"
  git_ push --quiet "$remote" "HEAD:$branch" \
    || { git_ pull --quiet --rebase "$remote" "$branch" && git_ push --quiet "$remote" "HEAD:$branch"; }
fi
exit "$status"
