"""Real published figures as ``indicator_values`` rows, each with its source and origin.

Every value is copied as published (the files are unchanged copies, see
``data/published/SOURCES.md``). Values the sources call suspect, or that look like a missing
value written as 0, are kept and flagged: ``review_status`` ``submitted`` (so analyses that
use only approved values leave them out) and a ``review_note`` saying why. Where two sources
give the same figure, the first source in :func:`indicator_values` wins.

Breakdowns carry the survey round where a figure has more than one per year
(``round=march`` / ``round=september`` for Susenas poverty, ``round=august`` /
``round=february`` for Sakernas unemployment).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl

from api.demo import sources
from api.ingest.contracts import all_contracts


@dataclass(frozen=True)
class Indicator:
    unit: str
    formula: str


CATALOGUE: dict[str, Indicator] = {
    "p0": Indicator(
        "%",
        "Persentase penduduk dengan pengeluaran per kapita per bulan di bawah garis kemiskinan "
        "(FGT alfa=0); pembilang: penduduk miskin, penyebut: seluruh penduduk (Susenas)",
    ),
    "jumlah_penduduk_miskin": Indicator(
        "ribu orang", "Jumlah penduduk dengan pengeluaran per kapita di bawah garis kemiskinan"
    ),
    "garis_kemiskinan": Indicator(
        "Rp/kapita/bulan", "Garis kemiskinan makanan + garis kemiskinan bukan makanan (BPS)"
    ),
    "gini": Indicator("rasio", "Rasio Gini pengeluaran per kapita (Susenas), skala 0-1"),
    "ipm": Indicator("indeks", "Indeks Pembangunan Manusia, metode baru (BPS)"),
    "ipm_metode_lama": Indicator(
        "indeks", "Indeks Pembangunan Manusia, metode lama (sebelum revisi); tidak sebanding"
    ),
    "tpt": Indicator(
        "%", "Tingkat pengangguran terbuka: penganggur / angkatan kerja x 100 (Sakernas)"
    ),
    "tpak": Indicator(
        "%", "Tingkat partisipasi angkatan kerja: angkatan kerja / penduduk usia kerja x 100"
    ),
    "pertumbuhan_pdrb": Indicator("%", "Laju pertumbuhan PDRB atas dasar harga konstan"),
    "pertumbuhan_pdrb_per_kapita": Indicator(
        "%", "Laju pertumbuhan PDRB per kapita atas dasar harga konstan 2010"
    ),
    "pdrb_per_kapita_adhk": Indicator(
        "ribu Rp", "PDRB per kapita atas dasar harga konstan 2010 / jumlah penduduk"
    ),
    "pdrb_adhk": Indicator(
        "juta Rp",
        "PDRB atas dasar harga konstan 2010 menurut pengeluaran (satuan diduga juta Rp)",
    ),
    "sanitasi_layak": Indicator(
        "%", "Persentase rumah tangga dengan akses sanitasi layak (Susenas)"
    ),
    "air_minum_layak": Indicator(
        "%", "Persentase rumah tangga dengan akses air minum layak (Susenas)"
    ),
    "pengeluaran_per_kapita": Indicator(
        "Rp/kapita/bulan", "Rata-rata pengeluaran per kapita sebulan (Susenas Maret)"
    ),
    "pengeluaran_makanan_per_kapita": Indicator(
        "Rp/kapita/bulan", "Rata-rata pengeluaran makanan per kapita sebulan (Susenas Maret)"
    ),
    "pengeluaran_bukan_makanan_per_kapita": Indicator(
        "Rp/kapita/bulan",
        "Rata-rata pengeluaran bukan makanan per kapita sebulan (Susenas Maret)",
    ),
    "pengeluaran_per_kapita_disesuaikan": Indicator(
        "ribu Rp/orang/tahun", "Pengeluaran riil per kapita disesuaikan (komponen IPM)"
    ),
    "rls": Indicator("tahun", "Rata-rata lama sekolah penduduk 25 tahun ke atas"),
    "hls": Indicator("tahun", "Harapan lama sekolah anak usia 7 tahun"),
    "uhh": Indicator("tahun", "Umur harapan hidup saat lahir"),
    "jumlah_penduduk": Indicator("orang", "Jumlah penduduk menurut data kependudukan"),
}

COLUMNS = all_contracts()["indicator_values"].column_names

PAPUA_SPLIT_NOTE = (
    "Papua (91) dan Papua Barat (92) sebelum pemekaran 2022 mencakup wilayah yang kini "
    "provinsi 93-96"
)
SECONDARY_NOTE = "ekstraksi sekunder dari PDF Statistik Indonesia; periksa sebelum dipakai"


def _rows(
    frame: pl.DataFrame,
    *,
    code: pl.Expr,
    region: pl.Expr,
    year: pl.Expr,
    value: pl.Expr,
    source: pl.Expr,
    breakdown: pl.Expr | None = None,
    note: pl.Expr | None = None,
    suspect: pl.Expr | None = None,
) -> pl.DataFrame:
    """Shape source rows into contract rows; drops values that are not numbers (``...``)."""
    empty = pl.lit(None, pl.String)
    shaped = frame.select(
        code.alias("indicator_code"),
        region.alias("region_code"),
        year.cast(pl.Int64).alias("year"),
        (breakdown if breakdown is not None else pl.lit("total")).alias("breakdown"),
        value.cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False).alias("value"),
        source.alias("source"),
        (note if note is not None else empty).alias("review_note"),
        (suspect if suspect is not None else pl.lit(value=False)).alias("suspect"),
    ).filter(pl.col("value").is_not_null() & pl.col("value").is_finite())
    catalogue = pl.DataFrame(
        {
            "indicator_code": list(CATALOGUE),
            "unit": [i.unit for i in CATALOGUE.values()],
            "formula": [i.formula for i in CATALOGUE.values()],
        }
    )
    return shaped.join(catalogue, on="indicator_code", how="left", validate="m:1").select(
        "indicator_code",
        "region_code",
        "year",
        "breakdown",
        "value",
        "unit",
        "source",
        "formula",
        pl.lit("BPS (angka terbit)").alias("submitted_by"),
        empty.alias("reviewer"),
        pl.when(pl.col("suspect"))
        .then(pl.lit("submitted"))
        .otherwise(pl.lit("approved"))
        .alias("review_status"),
        pl.lit(None, pl.Date).alias("reviewed_at"),
        "review_note",
        pl.lit("published").alias("origin"),
    )


def _papua_note(region: pl.Expr, year: pl.Expr, before: int) -> pl.Expr:
    """The pre-split note for Papua and Papua Barat figures older than ``before``."""
    return (
        pl.when(region.is_in(["91", "92"]) & (year.cast(pl.Int64) < before))
        .then(pl.lit(PAPUA_SPLIT_NOTE))
        .otherwise(pl.lit(None, pl.String))
    )


def _join_notes(*notes: pl.Expr) -> pl.Expr:
    return pl.concat_str([*notes], separator="; ", ignore_nulls=True).replace("", None)


def province_poverty(folder: Path) -> pl.DataFrame:
    raw = pl.read_csv(sources.published(sources.PROVINCE_POVERTY, folder), infer_schema=False)
    rnd = (
        pl.when(pl.col("semester") == "Maret")
        .then(pl.lit("round=march"))
        .otherwise(pl.lit("round=september"))
    )
    source = pl.format(sources.CITE_PROVINCE_POVERTY.replace("{year}", "{}"), pl.col("tahun"))
    note = _join_notes(
        pl.when(pl.col("flag").is_not_null())
        .then(pl.format("{}: {}", pl.col("flag"), pl.col("note")))
        .otherwise(pl.col("note")),
        # BPS publishes 38 provinces only from 2024 in this series.
        _papua_note(pl.col("kode_kemendagri"), pl.col("tahun"), 2024),
    )
    columns = {
        "p0": "persentase_penduduk_miskin_p0",
        "jumlah_penduduk_miskin": "jumlah_penduduk_miskin_ribu",
        "garis_kemiskinan": "garis_kemiskinan_rp_kapita_bulan",
    }
    return pl.concat(
        _rows(
            raw,
            code=pl.lit(code),
            region=pl.col("kode_kemendagri"),
            year=pl.col("tahun"),
            value=pl.col(column),
            source=source,
            breakdown=rnd,
            note=note,
        )
        for code, column in columns.items()
    )


def province_2010_2022(folder: Path) -> pl.DataFrame:
    raw = pl.read_csv(sources.published(sources.PROVINCE_2010_2022, folder), infer_schema=False)
    year = pl.col("tahun").cast(pl.Int64)
    indicator = pl.col("indikator")
    # Annual values are September (P0, Gini) and August (TPT), except 2022: March / February.
    rnd = (
        pl.when(indicator.is_in(["gini_ratio", "p0_persen"]))
        .then(
            pl.when(year == 2022).then(pl.lit("round=march")).otherwise(pl.lit("round=september"))
        )
        .when(indicator == "tpt_persen")
        .then(
            pl.when(year == 2022).then(pl.lit("round=february")).otherwise(pl.lit("round=august"))
        )
        .otherwise(pl.lit("total"))
    )
    code = (
        pl.when(indicator == "ipm")
        .then(pl.when(year <= 2012).then(pl.lit("ipm_metode_lama")).otherwise(pl.lit("ipm")))
        .otherwise(
            indicator.replace_strict(
                {
                    "gini_ratio": "gini",
                    "p0_persen": "p0",
                    "tpt_persen": "tpt",
                    "laju_pdrb_persen": "pertumbuhan_pdrb",
                },
                default=None,
            )
        )
    )
    return _rows(
        raw,
        code=code,
        region=pl.col("kode_kemendagri"),
        year=year,
        value=pl.col("nilai"),
        source=pl.format(
            sources.CITE_PROVINCE_2010_2022.replace("{file}", "{}"), pl.col("file_sumber")
        ),
        breakdown=rnd,
        note=_papua_note(pl.col("kode_kemendagri"), year, 2023),
    )


_YEARBOOK_CODES = {
    "tpt_aug_pct": ("tpt", "round=august"),
    "tpak_aug_pct": ("tpak", "round=august"),
    "hdi": ("ipm", "total"),
    "sanitation_access_pct": ("sanitasi_layak", "total"),
    "drinking_water_access_pct": ("air_minum_layak", "total"),
    "pdrb_pc_adhk2010_thousand_rp": ("pdrb_per_kapita_adhk", "total"),
    "pdrb_pc_growth_pct": ("pertumbuhan_pdrb_per_kapita", "total"),
    "food_exp_pc_month_rp": ("pengeluaran_makanan_per_kapita", "total"),
    "nonfood_exp_pc_month_rp": ("pengeluaran_bukan_makanan_per_kapita", "total"),
    "total_exp_pc_month_rp": ("pengeluaran_per_kapita", "total"),
    # food_share_pct is derived upstream (food/total), not a published figure: left out.
}


def province_yearbook(folder: Path) -> pl.DataFrame:
    raw = pl.read_csv(sources.published(sources.PROVINCE_YEARBOOK, folder), infer_schema=False)
    raw = raw.filter(pl.col("variable_code").is_in(list(_YEARBOOK_CODES)))
    variable = pl.col("variable_code")
    return _rows(
        raw,
        code=variable.replace_strict({k: v[0] for k, v in _YEARBOOK_CODES.items()}),
        region=pl.col("kode_kemendagri"),
        year=pl.col("year"),
        value=pl.col("value"),
        source=pl.format(
            "BPS, {}, tabel {}, hlm. {}, {}",
            pl.col("publication"),
            pl.col("table"),
            pl.col("pdf_page"),
            pl.col("source_url"),
        ),
        breakdown=variable.replace_strict({k: v[1] for k, v in _YEARBOOK_CODES.items()}),
        note=_join_notes(pl.lit(SECONDARY_NOTE), pl.col("note")),
    )


_KAB_2021_CODES = {
    "p0": ("p0_persen", "round=march"),
    "rls": ("rls_tahun", "total"),
    "pengeluaran_per_kapita_disesuaikan": (
        "pengeluaran_per_kapita_disesuaikan_ribu_rp",
        "total",
    ),
    "ipm": ("ipm", "total"),
    "uhh": ("uhh_tahun", "total"),
    "sanitasi_layak": ("sanitasi_layak_persen", "total"),
    "air_minum_layak": ("air_minum_layak_persen", "total"),
    "tpt": ("tpt_persen", "round=august"),
    "tpak": ("tpak_persen", "round=august"),
    "pdrb_adhk": ("pdrb_adhk_pengeluaran", "total"),
}
# A zero share of households with sanitation or water, or no unemployment at all, is more
# likely a missing value written as 0 in the Kaggle export than a measurement.
_ZERO_SUSPECT = {"sanitasi_layak", "air_minum_layak", "tpt"}


def kab_2021(folder: Path) -> pl.DataFrame:
    raw = pl.read_csv(sources.published(sources.KAB_2021, folder), infer_schema=False)
    frames = []
    for code, (column, rnd) in _KAB_2021_CODES.items():
        value = pl.col(column).cast(pl.Float64, strict=False)
        suspect = (value == 0) if code in _ZERO_SUSPECT else pl.lit(value=False)
        note = _join_notes(
            pl.when(suspect)
            .then(pl.lit("nilai 0 mencurigakan: kemungkinan data kosong pada ekspor Kaggle"))
            .otherwise(pl.lit(None, pl.String)),
            pl.lit("satuan PDRB tidak dinyatakan sumber (diduga juta Rp)")
            if code == "pdrb_adhk"
            else pl.lit(None, pl.String),
        )
        frames.append(
            _rows(
                raw,
                code=pl.lit(code),
                region=pl.col("kode_kemendagri_2025"),
                year=pl.lit(2021),
                value=pl.col(column),
                source=pl.lit(sources.CITE_KAB_2021),
                breakdown=pl.lit(rnd),
                note=note,
                suspect=suspect,
            )
        )
    return pl.concat(frames)


_JATENG_CODES = {
    "p0": ("persentase_penduduk_miskin", "round=march"),
    "uhh": ("uhh", "total"),
    "hls": ("hls", "total"),
    "rls": ("rls", "total"),
    "pengeluaran_per_kapita_disesuaikan": ("pengeluaran_per_kapita_disesuaikan", "total"),
    "tpt": ("tpt", "round=august"),
}


def bps_to_kemendagri(reference_dir: Path) -> pl.DataFrame:
    return pl.read_csv(
        sources.reference(sources.KAB_CROSSWALK, reference_dir), infer_schema=False
    ).select(pl.col("kode_bps"), pl.col("kode_kemendagri"))


def jateng(folder: Path, reference_dir: Path) -> pl.DataFrame:
    raw = pl.read_csv(sources.published(sources.JATENG, folder), infer_schema=False).join(
        bps_to_kemendagri(reference_dir),
        left_on="kode_wilayah",
        right_on="kode_bps",
        how="left",
        validate="m:1",
    )
    return pl.concat(
        _rows(
            raw,
            code=pl.lit(code),
            region=pl.col("kode_kemendagri"),
            year=pl.col("tahun"),
            value=pl.col(column),
            source=pl.lit(sources.CITE_JATENG),
            breakdown=pl.lit(rnd),
        )
        for code, (column, rnd) in _JATENG_CODES.items()
    )


# SOURCES.md: Pegunungan Bintang's line equals the Papua Pegunungan province value exactly.
SUSPECT_POVERTY_LINES = {
    "95.02": "identik dengan nilai provinsi Papua Pegunungan (1.132.178); mungkin salah salin"
}


def poverty_line_2025(folder: Path) -> pl.DataFrame:
    raw = pl.read_csv(sources.published(sources.POVERTY_LINE_2025, folder), infer_schema=False)
    code = pl.col("kode_kemendagri")
    suspect = code.is_in(list(SUSPECT_POVERTY_LINES))
    return _rows(
        raw,
        code=pl.lit("garis_kemiskinan"),
        region=code,
        year=pl.col("tahun"),
        value=pl.col("garis_kemiskinan_rp_kapita_bulan"),
        source=pl.lit(sources.CITE_POVERTY_LINE_2025),
        breakdown=pl.lit("round=march"),
        note=code.replace_strict(SUSPECT_POVERTY_LINES, default=None, return_dtype=pl.String),
        suspect=suspect,
    )


def population_2025(reference_dir: Path) -> pl.DataFrame:
    raw = pl.read_csv(sources.reference(sources.POPULATION, reference_dir), infer_schema=False)
    parts = {"total": "total", "sex=1": "laki_laki", "sex=2": "perempuan"}
    return pl.concat(
        _rows(
            raw,
            code=pl.lit("jumlah_penduduk"),
            region=pl.col("kode"),
            year=pl.lit(2025),
            value=pl.col(column),
            source=pl.lit(sources.CITE_POPULATION),
            breakdown=pl.lit(breakdown),
        )
        for breakdown, column in parts.items()
    )


def indicator_values(
    folder: Path = sources.PUBLISHED_DIR, reference_dir: Path = sources.REFERENCE_DIR
) -> pl.DataFrame:
    """Every published figure, one row per (indicator, region, year, breakdown).

    Order is priority: BPS's own tables before secondary extractions, the Jawa Tengah series
    before the 2021 Kaggle cross-section (equal values, verified in SOURCES.md).
    """
    frames = [
        province_poverty(folder),
        poverty_line_2025(folder),
        jateng(folder, reference_dir),
        kab_2021(folder),
        province_2010_2022(folder),
        province_yearbook(folder),
        population_2025(reference_dir),
    ]
    combined = pl.concat(frames, how="vertical_relaxed")
    key = ["indicator_code", "region_code", "year", "breakdown"]
    return combined.unique(key, keep="first", maintain_order=True).sort(key).select(COLUMNS)
