"""Plainly synthetic names, addresses, NIK and family-card numbers.

Names combine two common Indonesian given names; addresses are "Jl. Contoh" streets. NIK has
the real structure (6-digit Kemendagri kab/kec prefix of the desa, birth date DDMMYY with 40
added to the day for women, 4-digit serial) but the serial is always 9xxx: serials count the
people registered in one kecamatan on one birth date, a few dozen at most, so a real NIK never
reaches 9000 and a generated one cannot belong to a real person.
"""

from __future__ import annotations

import polars as pl

from api.demo.rng import Draws

SYNTHETIC_SERIAL_BASE = 9000

MALE_NAMES = [
    "Agus",
    "Budi",
    "Joko",
    "Slamet",
    "Bambang",
    "Heru",
    "Rudi",
    "Dedi",
    "Eko",
    "Hendra",
    "Iwan",
    "Yusuf",
    "Ahmad",
    "Rahmat",
    "Hasan",
    "Arif",
    "Andi",
    "Fajar",
    "Rizky",
    "Dimas",
    "Wahyu",
    "Teguh",
    "Sugeng",
    "Made",
    "Ketut",
    "Yohanes",
    "Markus",
    "Samuel",
    "Daud",
    "Imam",
]
FEMALE_NAMES = [
    "Siti",
    "Sri",
    "Dewi",
    "Nur",
    "Rina",
    "Yuni",
    "Wati",
    "Ani",
    "Lestari",
    "Ratna",
    "Fitri",
    "Indah",
    "Ayu",
    "Putri",
    "Rahma",
    "Aisyah",
    "Maria",
    "Ningsih",
    "Endang",
    "Suci",
    "Wulan",
    "Kartini",
    "Komang",
    "Nyoman",
    "Yohana",
    "Elisabet",
    "Fatimah",
    "Aminah",
    "Sari",
    "Tuti",
]
SECOND_NAMES = [
    "Santoso",
    "Wijaya",
    "Saputra",
    "Hidayat",
    "Kurniawan",
    "Setiawan",
    "Pratama",
    "Nugroho",
    "Siregar",
    "Nasution",
    "Harahap",
    "Lubis",
    "Simanjuntak",
    "Wibowo",
    "Susanto",
    "Purnomo",
    "Rahayu",
    "Handayani",
    "Lestari",
    "Permata",
    "Maharani",
    "Utami",
    "Safitri",
    "Hasibuan",
    "Manurung",
    "Tanjung",
    "Daulay",
    "Sitompul",
    "Matondang",
    "Pangaribuan",
]


def _from_list(draws: Draws, key: pl.Expr, stream: str, names: list[str]) -> pl.Expr:
    index = (draws.uniform(key, stream) * len(names)).floor().cast(pl.Int64)
    return index.replace_strict(dict(enumerate(names)), return_dtype=pl.String)


def person_name(draws: Draws, key: pl.Expr, sex: pl.Expr, stream: str) -> pl.Expr:
    given = (
        pl.when(sex == 2)
        .then(_from_list(draws, key, f"{stream}.female", FEMALE_NAMES))
        .otherwise(_from_list(draws, key, f"{stream}.male", MALE_NAMES))
    )
    return pl.concat_str(
        given, pl.lit(" "), _from_list(draws, key, f"{stream}.second", SECOND_NAMES)
    )


def address(draws: Draws, key: pl.Expr, desa_name: pl.Expr) -> pl.Expr:
    number = (draws.uniform(key, "address.no") * 150).floor().cast(pl.Int64) + 1
    rt = (draws.uniform(key, "address.rt") * 12).floor().cast(pl.Int64) + 1
    rw = (draws.uniform(key, "address.rw") * 6).floor().cast(pl.Int64) + 1
    return pl.format(
        "Jl. Contoh No. {} RT {}/RW {}, {}",
        number,
        rt.cast(pl.String).str.zfill(3),
        rw.cast(pl.String).str.zfill(3),
        desa_name,
    )


def _serial(draws: Draws, key: pl.Expr, stream: str) -> pl.Expr:
    serial = (draws.uniform(key, stream) * 1000).floor().cast(pl.Int64) + SYNTHETIC_SERIAL_BASE
    return serial.cast(pl.String)


def nik(draws: Draws, key: pl.Expr, kec_code: pl.Expr, birth: pl.Expr, sex: pl.Expr) -> pl.Expr:
    """16 digits: kab/kec prefix, birth DDMMYY (day + 40 for women), serial 9xxx."""
    day = birth.dt.day().cast(pl.Int64) + pl.when(sex == 2).then(40).otherwise(0)
    return pl.concat_str(
        kec_code.str.replace_all(".", "", literal=True),
        day.cast(pl.String).str.zfill(2),
        birth.dt.strftime("%m%y"),
        _serial(draws, key, "nik.serial"),
    )


def family_card(draws: Draws, key: pl.Expr, kec_code: pl.Expr, issued: pl.Expr) -> pl.Expr:
    """16 digits like a Kartu Keluarga number: kab/kec prefix, issue DDMMYY, serial 9xxx."""
    return pl.concat_str(
        kec_code.str.replace_all(".", "", literal=True),
        issued.dt.strftime("%d%m%y"),
        _serial(draws, key, "kk.serial"),
    )
