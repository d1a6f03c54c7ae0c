"""Benchmark of the measures engine on a full-size synthetic Susenas.

Generates ~345,000 households in 514 kab/kota × urban/rural strata (PSUs of ~10 households)
and times every poverty measure with its SE for all kab/kota × urban/rural:

- cold: the first call in this process (Polars' thread pool and caches not yet used), and the
  same from a Parquet file in a fresh process (read + compute, imports excluded);
- warm: the same call repeated;
- the same for national + province + kab/kota × urban/rural at once;
- the same from a sample prepared once (what the API can cache per release), and one
  province's kab/kota from it;
- a straightforward loop over the same data, one filter and one engine call per kab × urban,
  in the same run, and the ratio of the two.

The generator uses hashes of the row number as random numbers (numpy is not a dependency of
the project), so the data are the same on every run.

    .venv/bin/python bench/measures_bench.py [--households 345000] [--repeat 7] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from api.measures.frames import prepare_sample
from api.measures.poverty import poverty_measures

KABS = 514
PROVINCES = 38
HH_PER_PSU = 10


def _uniform(index: pl.Expr, stream: int) -> pl.Expr:
    """A uniform number in (0, 1) from the hash of ``index`` (53 bits, never 0)."""
    return ((index.hash(stream) // 2048).cast(pl.Float64) + 0.5) / float(2**53)


def _normal(index: pl.Expr, stream: int) -> pl.Expr:
    """A standard normal number by Box–Muller on two hashed uniforms."""
    u1, u2 = _uniform(index, stream), _uniform(index, stream + 1)
    return (-2 * u1.log()).sqrt() * (2 * math.pi * u2).cos()


def synthetic_susenas(households: int, seed: int = 2024) -> pl.DataFrame:
    """Households in KABS × 2 strata with contiguous PSUs of HH_PER_PSU households."""
    strata = KABS * 2
    i = pl.int_range(0, households, dtype=pl.Int64)
    stratum = (i * strata) // households  # contiguous blocks of ~households/strata
    kab = stratum // 2
    first_row = (stratum * households + strata - 1) // strata  # first i of the stratum
    prov = kab % PROVINCES
    frame = pl.select(
        i.alias("i"), stratum.alias("s"), kab.alias("k"), prov.alias("p"), first_row.alias("f")
    )
    kab_effect = _normal(pl.col("k") + seed, 10)
    psu_index = (pl.col("i") - pl.col("f")) // HH_PER_PSU
    psu_effect = _normal(pl.col("s") * 1000 + psu_index + seed, 20)
    line = (430_000 + 150_000 * _uniform(pl.col("s") + seed, 30)).round(0)
    return frame.select(
        pl.format("H{}", pl.col("i")).alias("hh_id"),
        (pl.col("p") + 11).cast(pl.String).alias("prov_code"),
        pl.format(
            "{}{}", pl.col("p") + 11, (pl.col("k") // PROVINCES + 1).cast(pl.String).str.zfill(2)
        ).alias("kab_code"),
        (pl.col("s") % 2 + 1).cast(pl.Int64).alias("urban"),
        pl.format("S{}", pl.col("s")).alias("strata"),
        (psu_index + 1).cast(pl.String).alias("psu"),
        (50 + 450 * _uniform(pl.col("i") + seed, 40)).round(3).alias("weight"),
        (1 + (8 * _uniform(pl.col("i") + seed, 50)).floor()).cast(pl.Int64).alias("hh_size"),
        (
            line
            * (
                0.35 + 0.2 * kab_effect + 0.25 * psu_effect + 0.5 * _normal(pl.col("i") + seed, 60)
            ).exp()
        )
        .truediv(100)
        .round(0)
        .mul(100)  # whole hundreds of Rupiah, so that ties occur as in real data
        .clip(lower_bound=10_000)
        .alias("exp_per_capita"),
        line.alias("poverty_line"),
    )


def _timed(call: Callable[[], Any], repeat: int) -> tuple[list[float], Any]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return times, result


def _loop(households: pl.DataFrame) -> pl.DataFrame:
    """The straightforward way: one filter and one single-domain engine call per kab × urban."""
    domains = households.select("kab_code", "urban").unique().sort("kab_code", "urban")
    rows = []
    for kab, urban in domains.iter_rows():
        one = households.filter((pl.col("kab_code") == kab) & (pl.col("urban") == urban))
        rows.append(
            poverty_measures(one, levels=["national"]).with_columns(
                pl.lit(kab).alias("region_code"), pl.lit(urban, dtype=pl.Int64).alias("urban")
            )
        )
    return pl.concat(rows)


_FRESH = """
import sys, time
sys.path.insert(0, {root!r})
import polars as pl
from api.measures.frames import prepare_sample
from api.measures.poverty import poverty_measures
start = time.perf_counter()
frame = pl.read_parquet({path!r})
read = time.perf_counter() - start
poverty_measures(frame, levels=["regency"], breakdowns=["urban"])
print(read, time.perf_counter() - start)
"""


def _fresh_process(path: Path) -> tuple[float, float]:
    """Read + compute in a new interpreter (imports excluded): (read s, read + compute s)."""
    root = str(Path(__file__).resolve().parent.parent)
    out = subprocess.run(
        [sys.executable, "-c", _FRESH.format(root=root, path=str(path))],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return float(out[0]), float(out[1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--households", type=int, default=345_000)
    parser.add_argument("--repeat", type=int, default=7, help="warm repetitions")
    parser.add_argument("--no-loop", action="store_true", help="skip the per-region loop")
    parser.add_argument("--json", type=Path, help="write the numbers here")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    households = synthetic_susenas(args.households)
    generated = time.perf_counter() - start
    n_psu = households.select(pl.struct("strata", "psu").n_unique()).item()
    print(
        f"synthetic Susenas: {households.height:,} households, "
        f"{households['kab_code'].n_unique()} kab, {households['strata'].n_unique()} strata, "
        f"{n_psu:,} PSUs (generated in {generated:.2f} s)"
    )

    kab_urban = lambda: poverty_measures(households, levels=["regency"], breakdowns=["urban"])  # noqa: E731
    cold, result = _timed(kab_urban, 1)
    warm, _ = _timed(kab_urban, args.repeat)
    every_level = lambda: poverty_measures(  # noqa: E731
        households, levels=["national", "province", "regency"], breakdowns=["urban"]
    )
    _timed(every_level, 1)
    warm_all, all_rows = _timed(every_level, args.repeat)
    numbers: dict[str, Any] = {
        "households": households.height,
        "psus": n_psu,
        "domains_kab_urban": result.height,
        "domains_all_levels": all_rows.height,
        "cold_first_call_s": cold[0],
        "warm_median_s": statistics.median(warm),
        "warm_min_s": min(warm),
        "warm_all_levels_median_s": statistics.median(warm_all),
        "warm_all_levels_min_s": min(warm_all),
    }
    print(
        f"kab × urban ({result.height} domains): first call {cold[0]:.3f} s, "
        f"warm median {statistics.median(warm):.3f} s (min {min(warm):.3f}, n={args.repeat})"
    )
    print(
        f"national + province + kab × urban ({all_rows.height} domains): "
        f"warm median {statistics.median(warm_all):.3f} s (min {min(warm_all):.3f})"
    )

    # What the API can do: check the release once, then answer from the prepared sample.
    sample = prepare_sample(households)
    warm_prepared, _ = _timed(
        lambda: poverty_measures(sample, levels=["regency"], breakdowns=["urban"]), args.repeat
    )
    province = households.filter(pl.col("prov_code") == "32").get_column("kab_code").unique()
    one_province = lambda: poverty_measures(  # noqa: E731
        sample, levels=["regency"], regions=province.to_list()
    )
    _timed(one_province, 1)
    warm_province, _ = _timed(one_province, max(args.repeat, 20))
    numbers |= {
        "prepared_kab_urban_median_s": statistics.median(warm_prepared),
        "prepared_one_province_median_s": statistics.median(warm_province),
        "prepared_one_province_p95_s": sorted(warm_province)[int(0.95 * len(warm_province))],
    }
    print(
        f"prepared sample: kab × urban warm median {statistics.median(warm_prepared):.3f} s; "
        f"one province's {province.len()} kab/kota: median "
        f"{1000 * statistics.median(warm_province):.1f} ms "
        f"(p95 {1000 * numbers['prepared_one_province_p95_s']:.1f} ms, one caller)"
    )

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "susenas.parquet"
        households.write_parquet(path)
        read, total = _fresh_process(path)
    numbers |= {"fresh_process_read_s": read, "fresh_process_read_and_compute_s": total}
    print(f"fresh process from Parquet: read {read:.3f} s, read + compute {total:.3f} s")

    if not args.no_loop:
        loop_times, loop_rows = _timed(lambda: _loop(households), 1)
        ratio = loop_times[0] / statistics.median(warm)
        joined = result.join(loop_rows, on=["region_code", "urban"], suffix="_loop")
        worst = max(
            joined.select((pl.col(c) - pl.col(f"{c}_loop")).abs().max()).item()
            for c in ("p0", "p0_se", "p2_se", "n_poor_se", "gini")
        )
        numbers |= {"loop_s": loop_times[0], "loop_over_vectorised": ratio, "max_abs_diff": worst}
        print(
            f"per-region loop: {loop_times[0]:.2f} s, {ratio:.0f}× the vectorised warm time "
            f"(largest difference in p0, SEs, Gini: {worst:.1e})"
        )
    # The machine may be shared: the load says how far the wall times can be trusted.
    numbers |= {"load_before": load_before, "load_after": os.getloadavg()[0]}
    print(f"1-minute load average: {load_before:.2f} before, {numbers['load_after']:.2f} after")
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
