"""The databases SEPAKAT creates compare text byte by byte."""

from __future__ import annotations

import psycopg
import pytest

from tests.conftest import Cluster


def test_a_new_database_sorts_text_by_bytes_and_keeps_the_clusters_ctype(
    cluster: Cluster,
) -> None:
    if cluster.embedded is None:
        pytest.skip("creates a database through the embedded server")
    name = "sepakat_locale_check"
    cluster.execute(f'DROP DATABASE IF EXISTS "{name}"')
    cluster.embedded.ensure_database(name)
    try:
        dsn = cluster.url(name).set(drivername="postgresql").render_as_string(False)
        with psycopg.connect(dsn) as conn:
            collate, ctype, template_ctype = conn.execute(
                "SELECT d.datcollate, d.datctype, t.datctype FROM pg_database d, pg_database t "
                "WHERE d.datname = current_database() AND t.datname = 'template0'"
            ).fetchone() or (None, None, None)
            ordered = conn.execute(
                "SELECT array_agg(v ORDER BY v) FROM unnest(ARRAY['é', 'b', 'a', 'B', 'e']) v"
            ).fetchone()
            upper = conn.execute("SELECT upper('é')").fetchone()
    finally:
        cluster.execute(f'DROP DATABASE IF EXISTS "{name}"')
    assert (collate, ctype) == ("C", template_ctype)
    # C.UTF-8 orders so too: only a linguistic cluster locale would differ here. The
    # collation itself is what the check above guards.
    assert ordered == (["B", "a", "b", "e", "é"],)  # UTF-8 bytes: code point order
    if ctype != "C":
        assert upper == ("É",)  # the cluster's character classes
