#!/usr/bin/env bash
# Nightly: reconcile every Final postmortem with its tickets and propose the document changes on
# a branch (default pm-sync/reconcile) instead of pushing to main; on GitHub, open a pull request.
# For cron or a Kubernetes CronJob (docs/recipes/cron.md). Resets its checkout like push.
#
#   PM_SYNC_DOCS, PM_SYNC_BRANCH, PM_SYNC_REMOTE, PM_SYNC_ENV_FILE   as in pm-sync-push.sh
#   PM_SYNC_PATHS           postmortems to reconcile (default: [docs] paths in pm-sync.toml)
#   PM_SYNC_PR_BRANCH       the proposal branch (default: pm-sync/reconcile)
#   PM_SYNC_GITHUB_REPO     owner/name: open a pull request there (needs PM_SYNC_GITHUB_TOKEN)
#   PM_SYNC_GITHUB_API      default https://api.github.com (GHES: https://HOST/api/v3)
set -euo pipefail
if [ -n "${PM_SYNC_ENV_FILE:-}" ]; then set -a; . "$PM_SYNC_ENV_FILE"; set +a; fi
cd "${PM_SYNC_DOCS:-.}"
base="${PM_SYNC_BRANCH:-main}"
remote="${PM_SYNC_REMOTE:-origin}"
work="${PM_SYNC_PR_BRANCH:-pm-sync/reconcile}"
git_() { git -c user.name="${PM_SYNC_GIT_NAME:-pm-sync}" -c user.email="${PM_SYNC_GIT_EMAIL:-pm-sync@localhost}" "$@"; }

git fetch --quiet --prune "$remote"
git checkout --quiet --force -B "$work" "$remote/$base"
# Build on the proposal still open: the values it pulled from the trackers are not on main yet,
# and a reconcile without them would push the old values back to the trackers.
if git rev-parse --verify --quiet "$remote/$work" > /dev/null; then
  if ! git_ merge --quiet --no-edit "$remote/$work"; then
    git merge --abort
    echo "pm-sync: $work no longer merges with $base; merge or close its pull request first" >&2
    exit 1
  fi
fi

set -f
paths=(${PM_SYNC_PATHS:-})
set +f
status=0
pm-sync reconcile "${paths[@]}" || status=$?
if ! git diff --quiet; then
  git_ commit --quiet --all --message "pm-sync: nightly reconcile $(date -u +%F)"
fi
if [ -z "$(git log --oneline "$remote/$base..HEAD")" ]; then
  echo "pm-sync: documents and trackers agree; nothing to propose"
  exit "$status"
fi
git_ push --quiet "$remote" "HEAD:$work"
if [ -n "${PM_SYNC_GITHUB_REPO:-}" ] && [ -n "${PM_SYNC_GITHUB_TOKEN:-}" ]; then
  body="{\"title\": \"pm-sync: nightly reconcile\", \"head\": \"$work\", \"base\": \"$base\", \"body\": \"Written back by pm-sync reconcile.\"}"
  # the token goes to curl on stdin, never on its command line
  if printf 'header = "Authorization: Bearer %s"\n' "$PM_SYNC_GITHUB_TOKEN" | curl --silent --show-error --fail \
      --config - --header "Accept: application/vnd.github+json" --data "$body" --output /dev/null \
      "${PM_SYNC_GITHUB_API:-https://api.github.com}/repos/$PM_SYNC_GITHUB_REPO/pulls"; then
    echo "pm-sync: opened a pull request from $work into $base"
  else
    echo "pm-sync: pushed $work (its pull request is already open, or could not be opened)"
  fi
else
  echo "pm-sync: pushed $work; open a pull request from it into $base"
fi
exit "$status"
