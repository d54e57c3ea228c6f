"""`vigie companydb build` as a user runs it."""

from __future__ import annotations

import maxminddb

from tests.support.processes import vigie


def test_build_writes_a_database_the_app_can_load(tmp_path):
    source = tmp_path / "networks.csv"
    source.write_text(
        "\ufeffnetwork,name,domain,industry,employees,country\n81.2.69.0/24,Acme,acme.com,,,\n"
    )
    output = tmp_path / "out" / "companies.mmdb"
    result = vigie("companydb", "build", str(source), "-o", str(output), env={})
    assert result.returncode == 0, result.stderr
    assert f"{output}: 1 network(s), database type Vigie-Company." in result.stdout
    assert maxminddb.open_database(str(output)).get("81.2.69.1")["name"] == "Acme"
    served = vigie(
        "init", env={"VIGIE_MMDB": str(output), "VIGIE_INSTANCE_PATH": str(tmp_path / "i")}
    )
    assert served.returncode == 0, served.stderr


def test_bad_line_is_named_and_nothing_is_written(tmp_path):
    source = tmp_path / "networks.csv"
    source.write_text("network,name\n81.2.69.0/24,Acme\n81.2.70.0/24\n")
    output = tmp_path / "companies.mmdb"
    result = vigie("companydb", "build", str(source), "-o", str(output), env={})
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"Error: {source}: bad line(s)",
        "line 3: name: must not be empty",
    ]
    assert "Traceback" not in result.stderr and not output.exists()


def test_unsupported_mmdb_stops_the_app_naming_the_file(tmp_path):
    from tests.support.mmdb import write_mmdb

    odd = write_mmdb(tmp_path / "odd.mmdb", "Acme-Weather", {"8.8.8.0/24": {"rain": True}})
    result = vigie("init", env={"VIGIE_MMDB": str(odd), "VIGIE_INSTANCE_PATH": str(tmp_path / "i")})
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        == f"Error: VIGIE_MMDB: {odd}: unsupported database type 'Acme-Weather'"
    )
