"""Where the real figures live in the repository and how each is cited.

The files under ``data/published/`` are unchanged copies of the project's shared data folder
(see ``data/published/SOURCES.md``); no number in them is ever edited. Suspect values are
kept and flagged where they are converted (:mod:`api.demo.published`).
"""

from __future__ import annotations

from pathlib import Path

from api.settings import REPO_ROOT

PUBLISHED_DIR = REPO_ROOT / "data" / "published"
REFERENCE_DIR = REPO_ROOT / "data" / "reference"

PROVINCE_POVERTY = "poverty_province_semester_2015_2025.csv"
PROVINCE_YEARBOOK = "province_indicators_long_2015_2025_from_statistik_indonesia.csv"
PROVINCE_2010_2022 = "province_indicators_2010_2022.csv"
KAB_2021 = "kabkota_2021_indicators.csv"
JATENG = "kemiskinan_jateng_2020_2025.csv"
POVERTY_LINE_2025 = "garis_kemiskinan_kabkota_2025.csv"
SUB_KEGIATAN = "apbd/sub_kegiatan_kepmendagri_900.1.15.5-1317_2023.csv"
ACCOUNTS = "apbd/akun_belanja_kepmendagri.csv"
POPULATION = "regions/wilayah_penduduk_2025.csv"  # under data/reference
KAB_CROSSWALK = "crosswalk/kabkota_bps_kemendagri_2025.csv"  # under data/reference

CITE_PROVINCE_POVERTY = (
    "BPS, Jumlah dan Persentase Penduduk Miskin Menurut Provinsi {year} (tabel statistik; "
    "ekspor via github akbaralqahri/Kemiskinan-Indonesia e7cd3ab)"
)
CITE_PROVINCE_2010_2022 = (
    "BPS, {file} (unduhan xlsx; via github haekalyulianto/Capaian_Indikator_Utama_Pembangunan "
    "9437c9e)"
)
CITE_KAB_2021 = (
    "BPS, indikator kabupaten/kota 2021 (dataset Kaggle 'Klasifikasi Tingkat Kemiskinan di "
    "Indonesia', via github yuldan14/klasifikasi_kemiskinan 7f63794; lisensi Kaggle tidak "
    "tercatat)"
)
CITE_JATENG = (
    "BPS Provinsi Jawa Tengah, indikator kabupaten/kota 2020-2025 (via github "
    "SYFDNNN/Kemiskinan-Jawa-Tengah-2020-2025 f1b163d, MIT; diakses 2026-09-08)"
)
CITE_POVERTY_LINE_2025 = (
    "BPS WebAPI var 624, Garis Kemiskinan Menurut Kabupaten/Kota 2025 (last_update "
    "2025-12-01; via github Rasyidarfan/CekKemiskinanByPengeluaran de0b345)"
)
CITE_POPULATION = (
    "Kepmendagri 300.2.2-2138/2025, lampiran jumlah penduduk (Dukcapil); via github "
    "cahyadsn/wilayah b7ad440 (MIT)"
)
CITE_NOMENCLATURE = "Kepmendagri 900.1.15.5-1317/2023 (klasifikasi, kodefikasi dan nomenklatur)"


def published(name: str, folder: Path = PUBLISHED_DIR) -> Path:
    return folder / name


def reference(name: str, folder: Path = REFERENCE_DIR) -> Path:
    return folder / name
