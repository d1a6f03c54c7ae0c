"""``bench/demo_bench.py`` still runs the demo commands it measures.

It runs ``sepakat demo generate`` and ``sepakat demo load`` by their command lines, so a
change to either can break it without any other test noticing. It runs once here, as it is
run, at the smallest scale (its own throwaway embedded Postgres, ~40 s).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from api.settings import REPO_ROOT

SCRIPT = REPO_ROOT / "bench" / "demo_bench.py"


def test_demo_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "demo.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--scale", "tiny", "--json", str(out)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["scale"] == "tiny"
    assert result["files"] > 0
    assert result["rows"] > 0
    assert result["load"]["seconds"] > 0
