#!/usr/bin/env bash
# Install what the tests need and run them: the README's test command, and CI's.
#
# As root on Debian/Ubuntu it installs public-inbox, git, git-email (git
# send-email), mutt, and chromium with its chromedriver (the review queue's
# browser tests) with apt-get; elsewhere install those yourself (the tests
# needing them are skipped without them, except under CI where a missing
# one is a failure).
#
# scripts/test.sh --quick [PYTEST-ARGS]: the fast loop while editing (ruff, then
# tests/analysis, tests/replies and tests/check: about 650 tests, under a minute),
# in the existing virtualenv, installing nothing. See docs/contributing.md.
set -euo pipefail
cd "$(dirname "$0")/.."

QUICK_TESTS=(tests/analysis tests/replies tests/check)
if [ "${1:-}" = "--quick" ]; then
    shift
    VENV=${REVIEWBOT_VENV:-.venv}
    if [ ! -x "$VENV/bin/python" ]; then
        echo "error: no virtualenv at $VENV; run scripts/test.sh once first" >&2
        exit 1
    fi
    echo "== ruff"
    "$VENV/bin/ruff" check --output-format concise .
    echo "== pytest (quick: ${QUICK_TESTS[*]})"
    exec "$VENV/bin/python" -m pytest -q -p no:cacheprovider "${QUICK_TESTS[@]}" "$@"
fi

need_apt=()
command -v git >/dev/null || need_apt+=(git)
command -v public-inbox-httpd >/dev/null || need_apt+=(public-inbox)
case "$(git send-email -h 2>&1 || true)" in
    *'file|directory'*) ;;
    *) need_apt+=(git-email) ;;
esac
command -v mutt >/dev/null || need_apt+=(mutt)
[ -x /usr/bin/chromium ] || need_apt+=(chromium)
[ -x /usr/bin/chromedriver ] || need_apt+=(chromium-driver)
if ((${#need_apt[@]})); then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        echo "== apt-get install ${need_apt[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
    else
        echo "warning: missing ${need_apt[*]}; install them (apt-get install -y ${need_apt[*]})" >&2
    fi
fi

VENV=${REVIEWBOT_VENV:-.venv}
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
echo "== pip install -e .[test]"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check -e '.[test]'

echo "== ruff"
"$VENV/bin/ruff" check --output-format concise .

echo "== lint-imports (layering contracts in pyproject.toml)"
"$VENV/bin/lint-imports" --no-cache

echo "== mypy"
"$VENV/bin/mypy" reviewbot

if [ -n "${CI:-}" ]; then
    export REVIEWBOT_REQUIRE_PUBLIC_INBOX=1
    export REVIEWBOT_REQUIRE_BROWSER=1
fi
echo "== pytest"
set +e
"$VENV/bin/python" -m pytest -q -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
    echo "error: pytest collected no tests" >&2
    exit 1
fi
exit "$status"
