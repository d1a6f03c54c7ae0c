"""First start with demo data, and the measures API on a full-size Susenas release.

Issue 4: ``sepakat serve`` on an empty data folder generates and loads the demo data and must
answer with all data in under 3 minutes; a later start must answer in under 5 s.
Issue 5: all poverty measures with SEs for all 514 kab/kota × urban/rural, under 3 s cold
(including the read from Postgres) and under 1 s warm; one province's kab/kota over HTTP at
10 concurrent clients (wrk), p95 under 50 ms warm.

    .venv/bin/python bench/measures_api_bench.py --json bench/results/measures_api.json

Runs ``sepakat serve`` (embedded Postgres) in a fresh temporary folder, so the first start is
a real one. The machine is shared: the load average is recorded with every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from http_load import find_wrk, run_wrk
from serverctl import Server

ALL_KABS = {"level": "regency", "by": "urban"}
ONE_PROVINCE = {"level": "regency", "parent": "33"}  # Jawa Tengah: 35 kab/kota


def _timed(client: httpx.Client, params: dict[str, str]) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = client.get("/api/v1/measures/poverty", params=params)
    return time.perf_counter() - started, response


def _under_load(base: str, params: dict[str, str], seconds: int) -> dict[str, Any]:
    """wrk with 10 connections on 2 threads (C, light on the CPU the server needs too)."""
    url = f"{base}/api/v1/measures/poverty?" + urlencode(params)
    run = run_wrk(find_wrk(None), url, duration=seconds, connections=10, threads=2)
    latency = run["latency_us"]
    assert isinstance(latency, dict)
    return {
        "requests": run["requests"],
        "errors": run["errors"],
        "p50_ms": latency["percentiles"]["50"] / 1000,
        "p95_ms": latency["percentiles"]["95"] / 1000,
        "p99_ms": latency["percentiles"]["99"] / 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="Data folder to use and keep.")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--seconds", type=int, default=20, help="Concurrent run length.")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="sepakat-bench-"))
    results: dict[str, Any] = {"load_before": os.getloadavg()}
    server = Server(data_dir=work, log_path=work / "serve.log")
    try:
        server.start()
        results["first_start_s"] = server.wait_healthy(timeout=1800)
        results["first_start_load"] = os.getloadavg()
        with httpx.Client(base_url=server.base_url, timeout=120) as client:
            cold, response = _timed(client, ALL_KABS)
            response.raise_for_status()
            body = response.json()
            results["susenas_households"] = next(
                r["row_count"] for r in body["releases"] if r["contract"] == "susenas_household"
            )
            results["domains"] = len(body["items"])
            results["cold_all_kab_urban_s"] = cold
            warm = [_timed(client, ALL_KABS)[0] for _ in range(10)]
            results["warm_all_kab_urban_cached_median_s"] = statistics.median(warm)
            # A new question on the prepared sample: the engine's warm time over HTTP.
            fresh = [
                _timed(client, {**ALL_KABS, "lonely_psu": policy})[0]
                for policy in ("certainty", "adjust")
            ]
            results["warm_all_kab_urban_computed_s"] = max(fresh)
            _timed(client, ONE_PROVINCE)[1].raise_for_status()
        results["province_10_clients"] = {
            **_under_load(server.base_url, ONE_PROVINCE, args.seconds),
            "load": os.getloadavg(),
        }
        server.stop()
        server = Server(data_dir=work, log_path=work / "serve2.log")
        server.start()
        results["later_start_s"] = server.wait_healthy(timeout=120)
    finally:
        server.stop()  # whatever happened: no server left running
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
