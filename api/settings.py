"""Runtime configuration, read once from the environment (prefix ``SEPAKAT_``) or ``.env``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SEPAKAT_", env_file=".env", extra="ignore")

    database_url: str | None = Field(
        default=None,
        validation_alias="DATABASE_URL",
        description="External Postgres. When unset, an embedded server is started.",
    )
    data_dir: Path = Field(
        default=REPO_ROOT / ".sepakat",
        description="Folder of the embedded Postgres cluster and other local state.",
    )
    reference_dir: Path = Field(
        default=REPO_ROOT / "data" / "reference",
        description="Folder of the reference files (region codes, crosswalks).",
    )
    load_reference_on_start: bool = Field(
        default=True, description="Load the region reference data on first start."
    )
    load_demo_on_start: bool = Field(
        default=True,
        description="Generate and load the demo data when the warehouse has no release yet "
        "(SEPAKAT_LOAD_DEMO_ON_START=0 in production).",
    )
    db_pool_size: int = 10
    reference_cache_ttl: float = Field(
        default=300.0, ge=0, description="Seconds region answers stay cached; 0 turns it off."
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
