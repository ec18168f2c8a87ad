#!/usr/bin/env bash
# Test entry point for the backend, used locally and by CI (.github/workflows/ci-fast.yml).
#
#   tools/test.sh                  run the whole web_api suite
#   tools/test.sh --smoke-backend  run the backend smoke gate (required before a PR)
#
# Arguments after --smoke-backend are passed on to pytest.
# Set PYTHON to choose the interpreter (default: python).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PY="${PYTHON:-python}"

usage() {
    echo "usage: tools/test.sh [--smoke-backend [PYTEST_ARGS...]]" >&2
}

case "${1:-}" in
    --smoke-backend)
        shift
        cd "$ROOT/projects/web_api"
        exec "$PY" -m pytest \
            tests/test_ingestion_workflow_smoke.py \
            tests/test_download_range.py \
            tests/test_workflow_observability.py \
            -q "$@"
        ;;
    "")
        cd "$ROOT/projects/web_api"
        exec "$PY" -m pytest -q
        ;;
    -h|--help)
        usage
        exit 0
        ;;
    *)
        echo "tools/test.sh: unknown option: $1" >&2
        usage
        exit 2
        ;;
esac
