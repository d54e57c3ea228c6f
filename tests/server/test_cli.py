"""The set-up commands as a new user runs them, twice in a row too."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from server.cli import main
from server.security import password_matches
from server.storage import session_scope
from server.storage.models import Site, User
from tests.support.processes import vigie

PASSWORD = "correct horse battery"


@pytest.fixture
def run(db_url, tmp_path):
    """Invoke `vigie` in process against the test database."""
    runner = CliRunner()
    env = {"VIGIE_DATABASE_URL": db_url, "VIGIE_INSTANCE_PATH": str(tmp_path / "instance")}

    def invoke(*args: str, stdin: str | None = None):
        return runner.invoke(main, list(args), env=env, input=stdin)

    return invoke


@pytest.fixture
def acme(run):
    result = run(
        "init",
        "--org",
        "Acme",
        "--admin",
        "Boss@Acme.com",
        "--password-stdin",
        stdin=PASSWORD + "\n",
    )
    assert result.exit_code == 0, result.output
    return result


def one_line_error(result, expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == f"Error: {expected}"
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_init_on_an_initialised_database_says_it_is_up_to_date(run):
    result = run("init")
    assert result.exit_code == 0
    assert "up to date" in result.output


def test_init_creates_organisation_and_hashed_admin(acme, app):
    assert 'Organisation "Acme" created with admin boss@acme.com' in acme.output
    with app.app_context(), session_scope() as session:
        user = session.scalar(select(User))
    assert user.email == "boss@acme.com" and user.role == "admin"
    assert PASSWORD not in user.password_hash
    assert password_matches(user.password_hash, PASSWORD)


def test_init_twice_leaves_the_organisation_alone(acme, run):
    result = run(
        "init",
        "--org",
        "acme",
        "--admin",
        "boss@acme.com",
        "--password-stdin",
        stdin="another password\n",
    )
    assert result.exit_code == 0
    assert (
        'Organisation "Acme" already exists (1 user(s), 0 site(s)); left unchanged' in result.output
    )


def test_init_prompts_for_the_password_twice(run):
    result = run("init", "--org", "Beta", "--admin", "a@beta.io", stdin=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output


def test_init_refuses_a_short_password(run):
    result = run(
        "init", "--org", "Beta", "--admin", "a@beta.io", "--password-stdin", stdin="short\n"
    )
    one_line_error(result, "password: at least 10 characters")


def test_init_needs_an_admin_for_a_new_organisation(run):
    one_line_error(run("init", "--org", "Beta"), "--admin: required to create an organisation")


def test_users_add_and_list(acme, run):
    result = run(
        "users", "add", "--org", "Acme", "Sales@Acme.com", "--password-stdin", stdin=PASSWORD + "\n"
    )
    assert result.exit_code == 0 and "sales@acme.com (member)" in result.output
    listing = run("users", "list", "--org", "Acme")
    assert listing.output.splitlines() == ["boss@acme.com\tadmin", "sales@acme.com\tmember"]


def test_users_add_twice_is_a_clear_error(acme, run):
    args = ("users", "add", "--org", "Acme", "sales@acme.com", "--password-stdin")
    assert run(*args, stdin=PASSWORD + "\n").exit_code == 0
    one_line_error(run(*args, stdin=PASSWORD + "\n"), "email: sales@acme.com is already a user")


def test_unknown_organisation_is_a_one_line_error(acme, run):
    result = run("users", "add", "--org", "Nope", "x@y.com", "--password-stdin", stdin=PASSWORD)
    one_line_error(result, "org: no organisation named 'Nope' (known: Acme)")
    one_line_error(
        run("sites", "add", "--org", "Nope", "--domain", "x.com"),
        "org: no organisation named 'Nope' (known: Acme)",
    )


def test_sites_add_prints_key_and_snippet(acme, run, app):
    result = run(
        "sites",
        "add",
        "--org",
        "Acme",
        "--domain",
        "acme.com",
        "--domain",
        "www.Acme.FR",
        "--allow-query",
        "ref",
        "--collector-url",
        "https://stats.acme.com/",
    )
    assert result.exit_code == 0, result.output
    with app.app_context(), session_scope() as session:
        site = session.scalar(select(Site))
    assert site.domains == ["acme.com", "acme.fr"]
    assert site.query_allowlist == ["ref"]
    assert f"site key: {site.public_key}" in result.output
    assert (
        f'<script defer data-site="{site.public_key}" src="https://stats.acme.com/v.js"></script>'
    ) in result.output


def test_sites_add_twice_names_the_existing_site(acme, run):
    first = run("sites", "add", "--org", "Acme", "--domain", "acme.com")
    key = first.output.split("site key: ")[1].split()[0]
    one_line_error(
        run("sites", "add", "--org", "Acme", "--domain", "acme.com"),
        f"domain: acme.com is already tracked by site 'acme.com' (key {key})",
    )


@pytest.mark.parametrize(
    ("domain", "reason"),
    [
        (
            "https://acme.com/",
            "'https://acme.com/' is a URL; give the host name only, e.g. example.com",
        ),
        ("not a domain", "'not a domain' is not a valid host name"),
        ("192.0.2.1", "'192.0.2.1' is an IP address; give a host name"),
        ("acme", "'acme' is not a valid host name"),
        ("-acme.com", "'-acme.com' is not a valid host name"),
    ],
)
def test_invalid_domain_is_a_one_line_error(acme, run, domain, reason):
    one_line_error(run("sites", "add", "--org", "Acme", "--domain", domain), f"--domain: {reason}")


def test_international_domain_is_stored_in_ascii(acme, run, app):
    assert run("sites", "add", "--org", "Acme", "--domain", "café.fr").exit_code == 0
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(Site.domains)) == ["xn--caf-dma.fr"]


def test_tokens_are_shown_once_and_stored_hashed(acme, run, app):
    result = run("tokens", "create", "--org", "Acme", "--name", "CRM sync")
    token = result.output.strip()
    assert token.startswith("vigie_") and len(token) > 40
    with app.app_context(), session_scope() as session:
        from server.storage.models import ApiToken

        stored = session.scalar(select(ApiToken))
    assert stored.token_hash != token and token not in stored.token_hash


def test_commands_need_an_initialised_database(tmp_path):
    result = CliRunner().invoke(
        main,
        ["sites", "list", "--org", "Acme"],
        env={"VIGIE_INSTANCE_PATH": str(tmp_path / "fresh")},
    )
    one_line_error(result, "the database is empty; run `vigie init` to create or upgrade it")


@pytest.mark.parametrize(
    ("env", "message"),
    [
        (
            {"VIGIE_DATABASE_URL": "mysql://u@h/db"},
            "Error: VIGIE_DATABASE_URL: unsupported database 'mysql'; use sqlite:/// or postgresql://",
        ),
        (
            {"VIGIE_DATABASE_URL": "postgresql://u@127.0.0.1:1/db"},
            "Error: VIGIE_DATABASE_URL: cannot connect (OperationalError: connection failed:",
        ),
        (
            {"VIGIE_REDIS_URL": "redis://127.0.0.1:1/0", "VIGIE_SECRET_KEY": "s"},
            "Error: VIGIE_REDIS_URL: cannot connect (ConnectionError: Error 111 connecting",
        ),
        (
            {"VIGIE_MMDB": "/nowhere/GeoLite2-City.mmdb"},
            "Error: VIGIE_MMDB: no such file: /nowhere/GeoLite2-City.mmdb",
        ),
    ],
)
def test_bad_settings_stop_commands_with_one_line(tmp_path, env, message):
    """The real `vigie` process exits 2 with one line naming the variable; no traceback."""
    setup = vigie("init", env={"VIGIE_INSTANCE_PATH": str(tmp_path / "i")})
    assert setup.returncode == 0, setup.stderr
    result = vigie("serve", "--port", "1", env={"VIGIE_INSTANCE_PATH": str(tmp_path / "i"), **env})
    assert result.returncode == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr


def test_worker_without_redis_says_it_is_for_scale_mode(tmp_path):
    vigie("init", env={"VIGIE_INSTANCE_PATH": str(tmp_path / "i")})
    result = vigie("worker", env={"VIGIE_INSTANCE_PATH": str(tmp_path / "i")})
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Error: VIGIE_REDIS_URL: not set; this command runs in scale mode only"
    )


def test_runner_runs_vigie_on_the_apps_database(app, runner):
    """`runner` runs vigie on the app's own database: it finds the app's accounts."""
    from server.storage import session_scope
    from tests.support.accounts import make_account
    from tests.support.factories import make_site

    org_id, _site_id = make_site(app)
    with app.app_context(), session_scope() as session:
        make_account(session, org_id, "Acme SAS", domain="acme.fr")
        make_account(session, org_id, "Beta GmbH", domain="beta.de")
    rescored = runner("rescore")
    assert rescored.exit_code == 0, rescored.output
    assert "2 account(s) rescored." in rescored.output
