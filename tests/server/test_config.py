"""Configuration from the environment, `.env` and overrides, with clear errors."""

from __future__ import annotations

import pytest

from server import create_app
from server.config import ConfigError
from tests.conftest import TEST_DATA


@pytest.fixture
def instance(tmp_path):
    return {"INSTANCE_PATH": str(tmp_path / "instance")}


def test_embedded_default_is_sqlite_in_the_instance_folder(instance, tmp_path):
    app = create_app(instance)
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path / 'instance' / 'vigie.db'}"
    assert app.config["REDIS_URL"] is None
    assert app.config["RETENTION_DAYS"] == 395
    assert app.config["TRUSTED_PROXIES"] == 0
    assert app.config["MMDB"] == []


def test_generated_secret_key_is_kept_between_starts(instance, tmp_path):
    first = create_app(instance).config["SECRET_KEY"]
    second = create_app(instance).config["SECRET_KEY"]
    assert first == second and len(first) >= 40
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_variables_are_read(instance, monkeypatch, tmp_path):
    asn = TEST_DATA / "maxmind-test" / "GeoLite2-ASN-Test.mmdb"
    city = TEST_DATA / "maxmind-test" / "GeoIP2-City-Test.mmdb"
    monkeypatch.setenv("VIGIE_DATABASE_URL", "postgres://u:p@db.internal/vigie")
    monkeypatch.setenv("VIGIE_TRUSTED_PROXIES", "2")
    monkeypatch.setenv("VIGIE_RETENTION_DAYS", "30")
    monkeypatch.setenv("VIGIE_MMDB", f"{asn}, {city}")
    monkeypatch.setenv("VIGIE_SECRET_KEY", "12345")
    config = create_app(instance).config
    assert config["DATABASE_URL"] == "postgresql+psycopg://u:p@db.internal/vigie"
    assert config["TRUSTED_PROXIES"] == 2
    assert config["RETENTION_DAYS"] == 30
    assert config["MMDB"] == [str(asn), str(city)]
    assert config["SECRET_KEY"] == "12345"


def test_dotenv_file_is_read_and_the_environment_wins(instance, monkeypatch, tmp_path):
    (tmp_path / ".env").write_text("VIGIE_RETENTION_DAYS=90\nVIGIE_TRUSTED_PROXIES=1\n")
    monkeypatch.setenv("VIGIE_TRUSTED_PROXIES", "3")
    config = create_app(instance).config
    assert config["RETENTION_DAYS"] == 90
    assert config["TRUSTED_PROXIES"] == 3


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("VIGIE_DATABASE_URL", "not a url", "VIGIE_DATABASE_URL: not a database URL: 'not a url'"),
        ("VIGIE_DATABASE_URL", "mysql://x/y", "VIGIE_DATABASE_URL: unsupported database 'mysql'"),
        ("VIGIE_DATABASE_URL", "sqlite:////proc/vigie/x.db", "VIGIE_DATABASE_URL: cannot create"),
        ("VIGIE_REDIS_URL", "localhost:6379", "VIGIE_REDIS_URL: not a redis:// URL"),
        ("VIGIE_MMDB", "/missing/City.mmdb", "VIGIE_MMDB: no such file: /missing/City.mmdb"),
        ("VIGIE_TRUSTED_PROXIES", "-1", "VIGIE_TRUSTED_PROXIES: must be 0 or more, got -1"),
        ("VIGIE_TRUSTED_PROXIES", "two", "VIGIE_TRUSTED_PROXIES: must be a whole number"),
        ("VIGIE_RETENTION_DAYS", "0", "VIGIE_RETENTION_DAYS: must be 1 or more"),
        ("VIGIE_DATABASE_POOL_SIZE", "0", "VIGIE_DATABASE_POOL_SIZE: must be 1 or more"),
        ("VIGIE_DATABASE_MAX_OVERFLOW", "-2", "VIGIE_DATABASE_MAX_OVERFLOW: must be 0 or more"),
        ("VIGIE_SCORING_MODEL", "/missing.toml", "VIGIE_SCORING_MODEL: no such file"),
    ],
)
def test_bad_settings_name_the_variable(instance, monkeypatch, name, value, message):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as raised:
        create_app(instance)
    assert str(raised.value).startswith(message)


def test_database_password_is_not_echoed(instance, monkeypatch):
    monkeypatch.setenv("VIGIE_DATABASE_URL", "oracle://u:hunter2@h/db")
    with pytest.raises(ConfigError) as raised:
        create_app(instance)
    assert "hunter2" not in str(raised.value)


def test_scale_mode_requires_a_shared_secret_key(instance, monkeypatch):
    monkeypatch.setenv("VIGIE_REDIS_URL", "redis://127.0.0.1:6379/0")
    with pytest.raises(ConfigError, match="VIGIE_SECRET_KEY: required"):
        create_app(instance)


def test_overrides_win_over_the_environment(instance, monkeypatch):
    monkeypatch.setenv("VIGIE_RETENTION_DAYS", "30")
    assert create_app({**instance, "RETENTION_DAYS": 7}).config["RETENTION_DAYS"] == 7
