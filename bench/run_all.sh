#!/usr/bin/env bash
# Run every benchmark (start-up, then HTTP load) and write BENCHMARKS.md at the repo root.
#
#   bench/run_all.sh                      # ~9 min on 2 idle cores, longer when busy
#   FIRST_RUNS=2 COLD_RUNS=5 DURATION=20 bench/run_all.sh
#
# Needs the project venv (`uv sync`) and wrk (installed with apt-get when run as root).
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
if [[ ! -x $PY ]]; then
    echo "No project venv at .venv: run 'uv sync' in $(pwd) first." >&2
    exit 2
fi

if ! command -v wrk >/dev/null 2>&1; then
    if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null 2>&1; then
        echo "wrk not found: installing it with apt-get..." >&2
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null
    fi
fi
if ! command -v wrk >/dev/null 2>&1; then
    cat >&2 <<'MSG'
wrk is not installed and could not be installed automatically.
  Debian/Ubuntu: sudo apt-get update && sudo apt-get install -y wrk
  macOS:         brew install wrk
  elsewhere:     git clone https://github.com/wg/wrk && make -C wrk, then put wrk on PATH
Then run bench/run_all.sh again.
MSG
    exit 2
fi

STARTED=$(date +%s)
WORK=$(mktemp -d -t sepakat-bench-XXXXXX)
trap 'rm -rf "$WORK"' EXIT

echo "== start-up (figures 1-2) ==" >&2
"$PY" bench/startup.py \
    --first-runs "${FIRST_RUNS:-3}" --cold-runs "${COLD_RUNS:-5}" --compare-workers 2 \
    --data-dir "$WORK/data" --json "$WORK/startup.json"

echo "== HTTP load (figure 3) ==" >&2
"$PY" bench/http_load.py \
    --data-dir "$WORK/data" --duration "${DURATION:-15}" --json "$WORK/http.json"

# Keep the raw results: `bench/report.py --startup bench/results/startup.json
# --http bench/results/http.json` re-renders BENCHMARKS.md without re-measuring.
mkdir -p bench/results
cp "$WORK/startup.json" "$WORK/http.json" bench/results/
"$PY" bench/report.py \
    --startup bench/results/startup.json --http bench/results/http.json \
    --started "$STARTED" --output BENCHMARKS.md
echo "full bench run: $(( $(date +%s) - STARTED )) s" >&2
