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
import psycopg
from serverctl import (
    BenchError,
    CpuMeter,
    Server,
    cpu_seconds,
    wait_quiet,
)

HERE = Path(__file__).resolve().parent
LUA = HERE / "wrk_report.lua"
P95_TARGET_MS = 20.0
TARGET_CONNECTIONS = 10


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


@dataclass(frozen=True)
class ServerConfig:
    env: dict[str, str]
    args: tuple[str, ...]
    note: str
    gated: bool = True  # held to the target (False: shown for comparison only)


# Server configurations measured, by name. The region answers are cached in memory when the
# app has that cache (api/cache.py): wrk asks for one URL over and over, so "shipped"
# measures cache hits and "nocache" the work behind a miss (every first request for a URL,
# and every request once the TTL has passed). The "-1worker"/"-2workers" variants compare
# process counts.
CONFIGS: dict[str, ServerConfig] = {
    "shipped": ServerConfig({}, (), "defaults of `sepakat serve`"),
    "nocache": ServerConfig(
        {"SEPAKAT_REFERENCE_CACHE_TTL": "0"}, (), "response cache off: every request does the work"
    ),
    "nocache-1worker": ServerConfig(
        {"SEPAKAT_REFERENCE_CACHE_TTL": "0"},
        ("--workers", "1"),
        "response cache off, one uvicorn process (comparison, not held to the target)",
        gated=False,
    ),
    "nocache-2workers": ServerConfig(
        {"SEPAKAT_REFERENCE_CACHE_TTL": "0"},
        ("--workers", "2"),
        "response cache off, two uvicorn worker processes (comparison, not held to the target)",
        gated=False,
    ),
}
DEFAULT_CONFIGS = "shipped,nocache,nocache-2workers"

INSTALL_HINT = (
    "wrk is not installed. On Debian/Ubuntu: `apt-get update && apt-get install -y wrk` "
    "(as root; bench/run_all.sh does this for you when run as root). Elsewhere: "
    "https://github.com/wg/wrk (build with `make`) and put it on PATH, or pass --wrk PATH."
)


@dataclass
class LoadResult:
    config: str
    name: str
    path: str
    targeted: bool
    x_cache: str  # X-Cache of repeated requests ("hit" if any was), "" without a cache
    connections: int
    threads: int
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
    machine_cpu_s: float  # whole machine, busy CPU seconds during the run
    kernel_cpu_s: float  # of which kernel threads (ksoftirqd & co.)
    others_cores_before: float
    loadavg_before: float
    pg_sessions_closed: int | None  # Postgres connections that ended during the run
    attempts: int = 1  # runs made to get one with little interference (see --retries)

    @property
    def app_ms_per_request(self) -> float:
        return self.server_cpu_s / max(self.requests, 1) * 1000

    @property
    def postgres_ms_per_request(self) -> float:
        return self.postgres_cpu_s / max(self.requests, 1) * 1000

    @property
    def others_cores(self) -> float:
        """Cores used by other processes of the machine during the run (shared machine)."""
        ours = self.server_cpu_s + self.postgres_cpu_s + self.wrk_cpu_s + self.kernel_cpu_s
        return max(self.machine_cpu_s - ours, 0.0) / self.duration_s

    @property
    def gated(self) -> bool:
        """This row is held to the target: a targeted endpoint at the target concurrency."""
        return (
            self.targeted and self.connections == TARGET_CONNECTIONS and CONFIGS[self.config].gated
        )

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


def check_endpoint(base: str, endpoint: Endpoint) -> str:
    """Fail unless the endpoint answers with data; returns the X-Cache of a repeat."""
    response = httpx.get(base + endpoint.path, follow_redirects=False, timeout=10)
    if not endpoint.targeted:
        return str(response.headers.get("x-cache", ""))
    if response.status_code != 200:
        raise BenchError(f"{endpoint.path}: HTTP {response.status_code}: {response.text[:300]}")
    if not response.json().get("total"):
        raise BenchError(f"{endpoint.path}: empty result; is the reference data loaded?")
    # With several workers each has its own cache: ask a few times, report "hit" if any was.
    seen = ""
    for _ in range(8):
        again = httpx.get(base + endpoint.path, follow_redirects=False, timeout=10)
        seen = str(again.headers.get("x-cache", ""))
        if seen == "hit":
            break
    return seen


class SessionCounter:
    """``pg_stat_database.sessions`` of the app database: sessions *ended* so far (Postgres
    counts a session when it closes), so a rising count under load means pool churn."""

    def __init__(self, pgdata: Path) -> None:
        self.conn: psycopg.Connection[tuple[int]] | None = None
        try:
            self.conn = psycopg.connect(
                host=str(pgdata), user="postgres", dbname="postgres", autocommit=True
            )
        except psycopg.Error:
            self.conn = None

    def count(self) -> int | None:
        if self.conn is None:
            return None
        row = self.conn.execute(
            "SELECT sessions FROM pg_stat_database WHERE datname = 'sepakat'"
        ).fetchone()
        return int(row[0]) if row else None

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()


def load_run(
    server: Server,
    wrk: str,
    endpoint: Endpoint,
    *,
    config: str,
    x_cache: str,
    sessions: SessionCounter,
    duration: int,
    connections: int,
    threads: int,
    settle: float,
) -> LoadResult:
    """One measured wrk run; CPU of the app, Postgres, wrk and the machine is recorded."""
    url = server.base_url + endpoint.path
    others = wait_quiet(settle)
    load = float(Path("/proc/loadavg").read_text().split()[0])
    assert server.proc is not None
    app_before = cpu_by_pid(server.app_pids())
    pg_before = cpu_by_pid(server.postgres_pids())
    wrk_before = children_cpu()
    sessions_before = sessions.count()
    meter = CpuMeter()
    raw = run_wrk(wrk, url, duration=duration, connections=connections, threads=threads)
    machine_cpu = meter.busy_cpu_seconds()
    kernel_cpu = meter.kernel_cpu_seconds()
    time.sleep(0.5)  # let ended sessions reach the statistics
    sessions_after = sessions.count()
    wrk_cpu = children_cpu() - wrk_before
    app_after = cpu_by_pid(server.app_pids())
    app_cpu = sum(v - app_before.get(p, 0.0) for p, v in app_after.items())
    pg_after = cpu_by_pid(server.postgres_pids())
    pg_cpu = sum(v - pg_before.get(p, 0.0) for p, v in pg_after.items())

    lat = raw["latency_us"]
    assert isinstance(lat, dict)
    pct = lat["percentiles"]
    requests = int(str(raw["requests"]))
    duration_s = int(str(raw["duration_us"])) / 1e6
    errors = raw["errors"]
    assert isinstance(errors, dict)
    closed = (
        sessions_after - sessions_before
        if sessions_after is not None and sessions_before is not None
        else None
    )
    result = LoadResult(
        config=config,
        name=endpoint.name,
        path=endpoint.path,
        targeted=endpoint.targeted,
        x_cache=x_cache,
        connections=connections,
        threads=threads,
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
        machine_cpu_s=machine_cpu,
        kernel_cpu_s=kernel_cpu,
        others_cores_before=others,
        loadavg_before=load,
        pg_sessions_closed=closed,
    )
    print(
        f"  [{config}] {endpoint.name} c={connections}: {result.rps:.0f} req/s, "
        f"p50 {result.p50_ms:.1f} ms, "
        f"p95 {result.p95_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
        f"errors {sum(result.errors.values())}, others {result.others_cores:.2f} cores",
        file=sys.stderr,
        flush=True,
    )
    return result


def measure(
    server: Server,
    wrk: str,
    endpoint: Endpoint,
    args: argparse.Namespace,
    config: str,
    sessions: SessionCounter,
) -> list[LoadResult]:
    x_cache = check_endpoint(server.base_url, endpoint)
    if CONFIGS[config].env.get("SEPAKAT_REFERENCE_CACHE_TTL") == "0" and x_cache:
        raise BenchError(f"{endpoint.path}: X-Cache {x_cache!r} although the cache is off")
    if args.warmup > 0:
        url = server.base_url + endpoint.path
        run_wrk(wrk, url, duration=args.warmup, connections=args.connections, threads=args.threads)
    runs = [(1, 1, args.single_duration)] if args.single_duration > 0 else []
    runs.append((args.connections, args.threads, args.duration))
    results = []
    for connections, threads, duration in runs:
        # The machine is shared: when other processes took a noticeable share of the CPU
        # during a run, repeat it (up to --retries times) and keep the least disturbed one.
        tries: list[LoadResult] = []
        for attempt in range(args.retries + 1):
            if attempt:
                print(
                    f"    others used {tries[-1].others_cores:.2f} cores: repeating",
                    file=sys.stderr,
                )
            tries.append(
                load_run(
                    server,
                    wrk,
                    endpoint,
                    config=config,
                    x_cache=x_cache,
                    sessions=sessions,
                    duration=duration,
                    connections=connections,
                    threads=threads,
                    settle=args.settle,
                )
            )
            if tries[-1].others_cores <= args.max_others:
                break
        best = min(tries, key=lambda r: r.others_cores)
        best.attempts = len(tries)
        results.append(best)
    return results


def table(results: list[LoadResult]) -> str:
    head = [
        "config",
        "endpoint",
        "cache",
        "conns",
        "req/s",
        "p50",
        "p90",
        "p95",
        "p99",
        "max",
        "errors",
        "CPU ms/req app/pg",
        "others (cores)",
        "pg conns closed",
    ]
    rows = [
        [
            r.config,
            r.name,
            r.x_cache or "-",
            str(r.connections),
            f"{r.rps:.0f}",
            f"{r.p50_ms:.1f}",
            f"{r.p90_ms:.1f}",
            f"{r.p95_ms:.1f}",
            f"{r.p99_ms:.1f}",
            f"{r.max_ms:.1f}",
            str(sum(r.errors.values())),
            f"{r.app_ms_per_request:.2f}/{r.postgres_ms_per_request:.2f}",
            f"{r.others_cores:.2f}",
            "?" if r.pg_sessions_closed is None else str(r.pg_sessions_closed),
        ]
        for r in results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in rows]
    lines = [line.rstrip() for line in lines]
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
    parser.add_argument(
        "--single-duration",
        type=int,
        default=5,
        help="seconds of an extra 1-connection run per endpoint (service time); 0: skip",
    )
    parser.add_argument("--connections", type=int, default=TARGET_CONNECTIONS)
    parser.add_argument(
        "--settle",
        type=float,
        default=20.0,
        help="before each run, wait up to this many seconds for the machine to be idle",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--max-others",
        type=float,
        default=0.25,
        help="a run during which other processes used more cores than this is repeated",
    )
    parser.add_argument("--retries", type=int, default=2, help="repeats of a disturbed run")
    parser.add_argument("--wrk", help="path of the wrk binary (default: from PATH)")
    parser.add_argument("--only", help="run only endpoints whose name contains this")
    parser.add_argument(
        "--configs",
        default=DEFAULT_CONFIGS,
        help=f"server configurations to measure, comma-separated (of: {', '.join(CONFIGS)})",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="extra environment for the server, e.g. SEPAKAT_DB_POOL_SIZE=20 (repeatable)",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args()

    wrk = find_wrk(args.wrk)
    configs = [c.strip() for c in args.configs.split(",") if c.strip()]
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown config(s) {unknown}; known: {', '.join(CONFIGS)}")
    extra: dict[str, str] = {}
    for item in args.env:
        key, sep, value = item.partition("=")
        if not sep:
            parser.error(f"--env wants KEY=VALUE, got {item!r}")
        extra[key] = value
    tmp = Path(tempfile.mkdtemp(prefix="sepakat-bench-http-"))
    data_dir = args.data_dir.resolve() if args.data_dir else tmp / "data"
    endpoints = [e for e in ENDPOINTS if not args.only or args.only in e.name]
    results: list[LoadResult] = []
    processes: dict[str, int] = {}
    code: dict[str, str] = {}
    started = time.perf_counter()
    try:
        for config in configs:
            spec = CONFIGS[config]
            env = {**spec.env, **extra}
            server = Server(
                data_dir,
                log_path=tmp / f"server-{config}.log",
                extra_env=env,
                extra_args=list(spec.args),
            )
            sessions: SessionCounter | None = None
            try:
                server.start()
                up = server.wait_healthy(timeout=300)
                print(
                    f"[{config}] server up in {up:.1f} s, env {env}, args {spec.args}, "
                    f"{server.worker_count()} uvicorn worker(s)",
                    file=sys.stderr,
                )
                processes[config] = server.worker_count()
                code[config] = server.fingerprint
                sessions = SessionCounter(server.pgdata)
                for endpoint in endpoints:
                    # The framework floor does not depend on the configuration: measure once.
                    if not endpoint.targeted and config != configs[0]:
                        continue
                    results.extend(measure(server, wrk, endpoint, args, config, sessions))
            finally:
                if sessions is not None:
                    sessions.close()
                for note in server.stop():
                    print(f"WARNING: {note}", file=sys.stderr)
    except BenchError as exc:
        print(f"FAILED: {exc}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    elapsed = time.perf_counter() - started

    print(table(results))
    gated = [r for r in results if r.gated]
    verdict = bool(gated) and all(r.passed for r in gated)
    print(f"p95 target < {P95_TARGET_MS:.0f} ms: {'PASS' if verdict else 'FAIL'}")
    if args.json is not None:
        payload = {
            "wrk": wrk_version(wrk),
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "connections": args.connections,
            "threads": args.threads,
            "configs": {
                c: {
                    "env": {**CONFIGS[c].env, **extra},
                    "args": list(CONFIGS[c].args),
                    "note": CONFIGS[c].note,
                    "gated": CONFIGS[c].gated,
                    "uvicorn_workers": processes.get(c),
                    "code": code.get(c),
                }
                for c in configs
            },
            "p95_target_ms": P95_TARGET_MS,
            "cpus": os.cpu_count(),
            "pass": verdict,
            "bench_seconds": elapsed,
            "results": [
                asdict(r)
                | {
                    "pass": r.passed,
                    "gated": r.gated,
                    "app_ms_per_request": r.app_ms_per_request,
                    "postgres_ms_per_request": r.postgres_ms_per_request,
                    "others_cores": r.others_cores,
                }
                for r in results
            ],
        }
        args.json.write_text(json.dumps(payload, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
