"""The manifest of a generated folder: which file is which release of which contract.

Entries are in load order (households before their persons, each registry release's
persons right after its households, since a person file refers to the active household
release).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

MANIFEST_NAME = "manifest.json"


class ManifestEntry(BaseModel):
    contract: str
    release: str = Field(description="Release label the file is loaded under.")
    file: str = Field(description="File name inside the folder.")
    rows: int
    origin: str = Field(description="published, synthetic, or mixed (see the file's columns).")


class Manifest(BaseModel):
    scale: str
    seed: int
    generator_version: int
    entries: list[ManifestEntry]

    def write(self, folder: Path) -> Path:
        path = folder / MANIFEST_NAME
        path.write_text(self.model_dump_json(indent=2) + "\n", encoding="utf-8")
        return path

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        return cls.model_validate_json((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
