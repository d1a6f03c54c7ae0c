"""Generate and load demo data at one scale; report time, rows and peak memory.

Each phase runs as its own process (``sepakat demo generate`` / ``sepakat demo load``) so its
peak RSS (children included) is measured on its own, from ``getrusage``. The load goes into
a throwaway embedded Postgres (its own ``SEPAKAT_DATA_DIR``, started and stopped by each
``sepakat`` process) unless ``--database-url`` is given; Postgres runs as a separate daemon,
so its memory is not in the load's figure.

    .venv/bin/python bench/demo_bench.py --scale demo --json bench/results/demo.json
    .venv/bin/python bench/demo_bench.py --scale national --keep /tmp/national
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SEPAKAT = [sys.executable, "-m", "api.cli"]


def _run(args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run one command; wall seconds and its peak RSS in MB (GNU time's maximum RSS)."""
    started = time.perf_counter()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        # /usr/bin/time -f %M: the peak RSS of this command alone (getrusage(RUSAGE_CHILDREN)
        # would report the largest of all earlier children instead).
        subprocess.run(
            ["/usr/bin/time", "-o", report.name, "-f", "%M", *SEPAKAT, *args],
            env=env,
            check=True,
            cwd=REPO,
        )
        peak_kb = int(report.read().strip().splitlines()[-1])
    wall = time.perf_counter() - started
    return {"seconds": round(wall, 1), "peak_rss_mb": round(peak_kb / 1024, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="demo", choices=["tiny", "demo", "province", "national"])
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--keep", type=Path, help="Write the files here and keep them.")
    parser.add_argument("--database-url", help="Load into this Postgres instead.")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--extra", nargs="*", default=[], help="More `demo generate` options.")
    parser.add_argument("--json", type=Path, help="Write the results here too.")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="sepakat-demo-bench-"))
    out = args.keep or work / "files"
    env = dict(os.environ)
    data_dir = work / "data"
    if args.database_url:
        env["DATABASE_URL"] = args.database_url
    else:
        env.pop("DATABASE_URL", None)
        env["SEPAKAT_DATA_DIR"] = str(data_dir)
    results: dict[str, object] = {"scale": args.scale, "seed": args.seed, "nproc": os.cpu_count()}
    try:
        generate = ["demo", "generate", "--scale", args.scale, "--seed", str(args.seed)]
        results["generate"] = _run([*generate, "--out", str(out), *args.extra], env)
        manifest = json.loads((out / "manifest.json").read_text())
        results["files"] = len(manifest["entries"])
        results["rows"] = sum(e["rows"] for e in manifest["entries"])
        results["bytes"] = sum(p.stat().st_size for p in out.iterdir())
        if not args.skip_load:
            if not args.database_url:
                # Migrations and the region reference load are part of a first start, not of
                # the demo load: do them first and time them apart.
                results["prepare"] = _run(["reference", "load"], env)
            results["load"] = _run(["demo", "load", str(out)], env)
    finally:
        # Each `sepakat` process stops the embedded Postgres it started when it exits.
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps(results, indent=2))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
