"""Figure 3: latency and throughput of region endpoints under load, with wrk against uvicorn.

Starts one ``sepakat serve`` (embedded Postgres) and, per endpoint, runs a short warm-up and
then ``wrk -t2 -c10 -d<duration>s`` with ``wrk_report.lua`` printing the latency
percentiles. wrk and the server share the machine's cores: the CPU each side used is
reported too.

    .venv/bin/python bench/http_load.py --data-dir /tmp/loaded --json out.json

Needs ``wrk`` (Debian/Ubuntu: ``apt-get update && apt-get install -y wrk``).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx
from serverctl import BenchError, Server, children_of, cpu_seconds, postmaster_pid

HERE = Path(__file__).resolve().parent
LUA = HERE / "wrk_report.lua"
P95_TARGET_MS = 20.0


@dataclass(frozen=True)
class Endpoint:
    name: str
    path: str
    targeted: bool = True


ENDPOINTS = [
    Endpoint("children, Kemendagri code 33.26", "/api/v1/regions/33.26/children"),
    Endpoint("children, BPS code 3326", "/api/v1/regions/3326/children"),
    Endpoint("search q=pekalongan", "/api/v1/regions?q=pekalongan"),
    Endpoint("search q=kota baru", "/api/v1/regions?q=kota%20baru"),
    # Floor: a sync handler with no database work (a 307 redirect), for comparison only.
    Endpoint("baseline GET / (no DB, 307)", "/", targeted=False),
]

INSTALL_HINT = (
    "wrk is not installed. On Debian/Ubuntu: `apt-get update && apt-get install -y wrk` "
    "(as root; bench/run_all.sh does this for you when run as root). Elsewhere: "
    "https://github.com/wg/wrk (build with `make`) and put it on PATH, or pass --wrk PATH."
)


@dataclass
class LoadResult:
    name: str
    path: str
    targeted: bool
    requests: int
    duration_s: float
    rps: float
    p50_ms: float
    p75_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    mean_ms: float
    errors: dict[str, int]
    server_cpu_s: float
    postgres_cpu_s: float
    wrk_cpu_s: float
    loadavg_before: float

    @property
    def passed(self) -> bool:
        return self.p95_ms < P95_TARGET_MS and not any(self.errors.values())


def find_wrk(explicit: str | None) -> str:
    wrk = explicit or shutil.which("wrk")
    if wrk is None or not Path(wrk).exists():
        raise SystemExit(INSTALL_HINT)
    return wrk


def wrk_version(wrk: str) -> str:
    out = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    return (out.stdout + out.stderr).splitlines()[0].strip()


def postgres_pids(server: Server) -> list[int]:
    pm = postmaster_pid(server.pgdata)
    return [pm, *children_of(pm)] if pm else []


def cpu_by_pid(pids: list[int]) -> dict[int, float]:
    return {p: cpu_seconds([p]) for p in pids}


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_wrk(
    wrk: str, url: str, *, duration: int, connections: int, threads: int
) -> dict[str, object]:
    cmd = [
        wrk,
        f"-t{threads}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "5s",
        "-s",
        str(LUA),
        url,
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=duration + 60)
    if out.returncode != 0:
        raise BenchError(f"wrk failed ({out.returncode}): {out.stderr or out.stdout}")
    match = re.search(r"^WRK_JSON (.*)$", out.stdout, re.MULTILINE)
    if match is None:
        raise BenchError(f"no WRK_JSON line in wrk output:\n{out.stdout}\n{out.stderr}")
    parsed: dict[str, object] = json.loads(match.group(1))
    return parsed


def check_endpoint(base: str, endpoint: Endpoint) -> None:
    response = httpx.get(base + endpoint.path, follow_redirects=False, timeout=10)
    if not endpoint.targeted:
        return
    if response.status_code != 200:
        raise BenchError(f"{endpoint.path}: HTTP {response.status_code}: {response.text[:300]}")
    if not response.json().get("total"):
        raise BenchError(f"{endpoint.path}: empty result; is the reference data loaded?")


def measure(server: Server, wrk: str, endpoint: Endpoint, args: argparse.Namespace) -> LoadResult:
    url = server.base_url + endpoint.path
    check_endpoint(server.base_url, endpoint)
    if args.warmup > 0:
        run_wrk(wrk, url, duration=args.warmup, connections=args.connections, threads=args.threads)
    load = float(Path("/proc/loadavg").read_text().split()[0])
    assert server.proc is not None
    app_before = cpu_seconds([server.proc.pid])
    pg_before = cpu_by_pid(postgres_pids(server))
    wrk_before = children_cpu()
    raw = run_wrk(
        wrk, url, duration=args.duration, connections=args.connections, threads=args.threads
    )
    wrk_cpu = children_cpu() - wrk_before
    app_cpu = cpu_seconds([server.proc.pid]) - app_before
    pg_after = cpu_by_pid(postgres_pids(server))
    pg_cpu = sum(v - pg_before.get(p, 0.0) for p, v in pg_after.items())

    lat = raw["latency_us"]
    assert isinstance(lat, dict)
    pct = lat["percentiles"]
    requests = int(str(raw["requests"]))
    duration_s = int(str(raw["duration_us"])) / 1e6
    errors = raw["errors"]
    assert isinstance(errors, dict)
    result = LoadResult(
        name=endpoint.name,
        path=endpoint.path,
        targeted=endpoint.targeted,
        requests=requests,
        duration_s=duration_s,
        rps=requests / duration_s,
        p50_ms=pct["50"] / 1000,
        p75_ms=pct["75"] / 1000,
        p90_ms=pct["90"] / 1000,
        p95_ms=pct["95"] / 1000,
        p99_ms=pct["99"] / 1000,
        p999_ms=pct["99.9"] / 1000,
        max_ms=lat["max"] / 1000,
        mean_ms=lat["mean"] / 1000,
        errors={str(k): int(v) for k, v in errors.items()},
        server_cpu_s=app_cpu,
        postgres_cpu_s=pg_cpu,
        wrk_cpu_s=wrk_cpu,
        loadavg_before=load,
    )
    print(
        f"  {endpoint.name}: {result.rps:.0f} req/s, p50 {result.p50_ms:.1f} ms, "
        f"p95 {result.p95_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, errors {result.errors}",
        file=sys.stderr,
        flush=True,
    )
    return result


def table(results: list[LoadResult]) -> str:
    head = ["endpoint", "req/s", "p50", "p90", "p95", "p99", "max", "errors", "CPU app/pg/wrk"]
    rows = [
        [
            r.name,
            f"{r.rps:.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p90_ms:.1f}",
            f"{r.p95_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.max_ms:.1f}",
            str(sum(r.errors.values())),
            f"{r.server_cpu_s:.1f}/{r.postgres_cpu_s:.1f}/{r.wrk_cpu_s:.1f} s",
        ]
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    return "\n".join(lines) + "\n(latencies in ms)"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--data-dir",
        type=Path,
        help="a data folder with the reference data loaded (else a temporary one is "
        "created, which costs a first start of ~30 s)",
    )
    parser.add_argument("--duration", type=int, default=15, help="seconds per measured run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of unmeasured warm-up")
    parser.add_argument("--connections", type=int, default=10)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--wrk", help="path of the wrk binary (default: from PATH)")
    parser.add_argument("--only", help="run only endpoints whose name contains this")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    wrk = find_wrk(args.wrk)
    tmp = Path(tempfile.mkdtemp(prefix="sepakat-bench-http-"))
    data_dir = args.data_dir.resolve() if args.data_dir else tmp / "data"
    endpoints = [e for e in ENDPOINTS if not args.only or args.only in e.name]
    results: list[LoadResult] = []
    started = time.perf_counter()
    server = Server(data_dir, log_path=tmp / "server.log")
    try:
        server.start()
        up = server.wait_healthy(timeout=300)
        print(
            f"server up in {up:.1f} s at {server.base_url} (pid {server.proc and server.proc.pid})",
            file=sys.stderr,
        )
        for endpoint in endpoints:
            results.append(measure(server, wrk, endpoint, args))
    except BenchError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        forced = server.stop()
        for note in forced:
            print(f"WARNING: {note}", file=sys.stderr)
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - started

    print(table(results))
    targeted = [r for r in results if r.targeted]
    verdict = all(r.passed for r in targeted)
    print(f"p95 target < {P95_TARGET_MS:.0f} ms: {'PASS' if verdict else 'FAIL'}")
    if args.json is not None:
        payload = {
            "wrk": wrk_version(wrk),
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "threads": args.threads,
            "p95_target_ms": P95_TARGET_MS,
            "cpus": os.cpu_count(),
            "pass": verdict,
            "bench_seconds": elapsed,
            "results": [asdict(r) | {"pass": r.passed} for r in results],
        }
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
