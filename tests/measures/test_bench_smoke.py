"""``bench/measures_bench.py`` still runs against the engine it measures.

The benchmark builds its own synthetic Susenas and calls the engine directly, so a change to
the engine's interface can break it without any other test noticing. It runs once here, as
it is run (a child process), on a small survey.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from api.settings import REPO_ROOT

SCRIPT = REPO_ROOT / "bench" / "measures_bench.py"


def test_measures_benchmark_runs(tmp_path: Path) -> None:
    out = tmp_path / "measures.json"
    # 25,000 households: enough for two PSUs in each of the 1,028 kab/kota × urban strata.
    command = ["--households", "25000", "--repeat", "1", "--no-loop", "--json", str(out)]
    done = subprocess.run(
        [sys.executable, str(SCRIPT), *command], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(out.read_text())
    assert result["households"] == 25_000
    assert result["domains_kab_urban"] == 1_028  # 514 kab/kota × urban/rural
    assert result["warm_median_s"] > 0
