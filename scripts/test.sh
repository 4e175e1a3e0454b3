#!/usr/bin/env bash
# Install everything the tests need, then run lint, type checks and the whole test suite.
# Used by the README quick start and by CI (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}

# Browser tests drive Debian's Chromium; install it when we can (root) and it is missing.
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing chromium for the browser tests" >&2
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "note: chromium is not installed; browser tests will be skipped" >&2
  fi
fi

# (the spark extra: the Spark job's tests run a local Spark on the Java that is here)
"$PY" -m pip install -q --disable-pip-version-check -e ".[test,spark]"
"$PY" -m ruff check src tests bench
"$PY" -m mypy
"$PY" -m pytest -q "$@"
