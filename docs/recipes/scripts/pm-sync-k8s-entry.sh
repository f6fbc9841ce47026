#!/usr/bin/env bash
# Kubernetes CronJob entry (docs/recipes/kubernetes.md): install pm-sync, clone the docs
# repository, then run the script given as arguments (pm-sync-push.sh, -reconcile.sh, ...).
#
#   PM_SYNC_PIP_SPEC  what to pip install: a wheel URL, git+https://..., or a pinned requirement
#   PM_SYNC_GIT_URL   the docs repository's https URL
#   GIT_TOKEN         a token that may push to it (from the Secret); read only when git asks
set -euo pipefail
export HOME="${HOME:-/work}"
python3 -m venv /work/venv
/work/venv/bin/pip install --quiet --disable-pip-version-check "$PM_SYNC_PIP_SPEC"
export PATH="/work/venv/bin:$PATH"
git config --global credential.helper '!f() { echo username=x-access-token; echo "password=$GIT_TOKEN"; }; f'
git clone --quiet "$PM_SYNC_GIT_URL" /work/docs
export PM_SYNC_DOCS=/work/docs
exec "$@"
