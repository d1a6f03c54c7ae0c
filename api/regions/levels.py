"""Region levels as the API names them, and how source files name them."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    national = "national"
    province = "province"
    regency = "regency"
    district = "district"
    village = "village"


DEPTH: dict[Level, int] = {level: depth for depth, level in enumerate(Level)}

# The Kemendagri list's own words for its levels.
SOURCE_LEVELS: dict[str, Level] = {
    "provinsi": Level.province,
    "kabkota": Level.regency,
    "kecamatan": Level.district,
    "desa": Level.village,
}
