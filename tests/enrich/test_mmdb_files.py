"""The one `.mmdb` writer: nesting, both address families, progress, replacement."""

from __future__ import annotations

import maxminddb
import pytest

from enrich.mmdb_files import write_mmdb


def test_narrower_network_keeps_its_record_whatever_the_order(tmp_path):
    """A /28 listed before the /16 it sits in still answers for its own addresses."""
    path = write_mmdb(
        tmp_path / "nested.mmdb",
        "Test-Nested",
        {
            "81.2.69.16/28": {"name": "narrow"},
            "81.2.0.0/16": {"name": "broad"},
            "2a01:e0a::/32": {"name": "six"},
        },
    )
    with maxminddb.open_database(str(path)) as reader:
        assert reader.get("81.2.69.20") == {"name": "narrow"}
        assert reader.get("81.2.1.1") == {"name": "broad"}
        assert reader.get("2a01:e0a::1") == {"name": "six"}
        assert reader.get("8.8.8.8") is None
        assert reader.metadata().database_type == "Test-Nested"


def test_progress_counts_networks_and_file_is_replaced(tmp_path):
    """Rewriting a database replaces it whole and leaves no temporary file."""
    path = tmp_path / "nested" / "db.mmdb"
    write_mmdb(path, "Test", {"81.2.69.0/24": {"v": 1}})
    seen: list[int] = []
    write_mmdb(
        path, "Test", {"81.2.69.0/24": {"v": 2}, "1.1.1.0/24": {"v": 3}}, progress=seen.append
    )
    assert seen == [1, 2]
    with maxminddb.open_database(str(path)) as reader:
        assert reader.get("81.2.69.1") == {"v": 2}
    assert [p.name for p in path.parent.iterdir()] == ["db.mmdb"]


def test_a_key_that_is_not_a_network_is_refused(tmp_path):
    with pytest.raises(ValueError, match="does not appear to be an IPv4 or IPv6"):
        write_mmdb(tmp_path / "bad.mmdb", "Test", {"not-a-network": {}})
    assert not (tmp_path / "bad.mmdb").exists()
