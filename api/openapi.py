"""The OpenAPI document as YAML, built from the app without starting a server."""

from __future__ import annotations

from typing import Any

import yaml

from api.app import create_app


def openapi_document() -> dict[str, Any]:
    return create_app().openapi()


def openapi_yaml() -> str:
    return yaml.safe_dump(openapi_document(), sort_keys=False, allow_unicode=True, width=100)
