"""The password policy: common and guessable passwords are refused, with the
reason, wherever a password is set."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from server.config import ConfigError
from server.passwords import PasswordPolicy
from server.security import password_matches
from server.storage import session_scope
from server.storage.models import AuditEntry, User
from server.validation import InvalidInput
from tests.support.cli import cli_for
from tests.support.team import MEMBER, csrf, make_team, page_text, sign_in
from tests.support.team import PASSWORD as TEAM_PASSWORD

STRONG = "amber kettle orbit 47"
COMMON = ("password123", "aaaaaaaaaaaa", "qwertyuiop12")


@pytest.mark.parametrize(
    ("password", "reason"),
    [
        ("password123", "it is a common password"),
        ("aaaaaaaaaaaa", "it repeats characters"),
        ("qwertyuiop12", "it is a common password"),
        ("abcdefghijklmn", "it is a sequence"),
        ("zxcvbnm,./asdf", "it is a keyboard pattern"),
    ],
)
def test_guessable_passwords_are_refused_with_the_reason(password, reason):
    """Each refusal says what makes the password easy to guess."""
    with pytest.raises(InvalidInput) as refusal:
        PasswordPolicy().check(password, "sam@beta.io", "Beta")
    assert refusal.value.field == "password"
    assert refusal.value.reason.startswith(f"too easy to guess: {reason}")


def test_a_strong_password_is_accepted():
    """Uncommon words, long enough, pass."""
    assert PasswordPolicy().check(STRONG, "sam@beta.io", "Beta") == STRONG


def test_short_passwords_are_refused_first():
    with pytest.raises(InvalidInput, match="password: at least 10 characters"):
        PasswordPolicy().check("x7#Kq!", "sam@beta.io", "Beta")


@pytest.mark.parametrize("password", ["Dupont-Zebra-1987!", "velvet JEAN.dupont 42"])
def test_the_e_mail_name_is_refused_inside_a_password(password):
    """The part before the @, whole or word by word, in any case."""
    with pytest.raises(InvalidInput, match="must not contain the e-mail address's name"):
        PasswordPolicy().check(password, "jean.dupont@beta.io", "Beta")


def test_the_organisation_name_is_refused_inside_a_password():
    with pytest.raises(InvalidInput, match="must not contain the organisation's name"):
        PasswordPolicy().check("quiet ACMECORP lantern", "sam@acme.io", "Acme Corp")


def test_short_names_do_not_refuse_good_passwords():
    """A two-letter e-mail name is in too many good passwords to refuse."""
    assert PasswordPolicy().check("bold marble tango", "bo@ab.io", "AB") == "bold marble tango"


def test_a_lower_minimum_score_accepts_what_the_default_refuses():
    """VIGIE_PASSWORD_MIN_SCORE is honoured."""
    assert PasswordPolicy(min_score=0).check("qwertyuiop12") == "qwertyuiop12"


def test_long_passwords_are_scored_without_error():
    """zxcvbn refuses input over 72 characters; long passphrases are still accepted."""
    long_one = "kettle orbit amber " * 8
    assert PasswordPolicy().check(long_one, "sam@beta.io", "Beta") == long_one


def test_the_minimum_score_setting_is_checked(make_app, tmp_path):
    with pytest.raises(ConfigError, match="VIGIE_PASSWORD_MIN_SCORE: must be from 0 to 4"):
        make_app(f"sqlite:///{tmp_path / 'x.db'}", PASSWORD_MIN_SCORE=5)


@pytest.fixture
def vigie(sqlite_app, tmp_path):
    return cli_for(sqlite_app, tmp_path)


def one_line_error(result, expected: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.output.strip().splitlines()[-1] == f"Error: {expected}"
    assert "Traceback" not in result.output


def refused_as_guessable(result) -> None:
    """The command stopped with one line saying why the password is guessable."""
    assert result.exit_code == 2, result.output
    last = result.output.strip().splitlines()[-1]
    assert last.startswith("Error: password: too easy to guess: it "), last
    assert last.endswith("Use a few uncommon words.")
    assert "Traceback" not in result.output


@pytest.mark.parametrize("password", COMMON)
def test_init_refuses_a_common_password(vigie, password):
    """No organisation is created with a guessable admin password."""
    result = vigie(
        "init", "--org", "Beta", "--admin", "sam@beta.io", "--password-stdin", stdin=password
    )
    refused_as_guessable(result)
    again = vigie(
        "init", "--org", "Beta", "--admin", "sam@beta.io", "--password-stdin", stdin=STRONG
    )
    assert 'Organisation "Beta" created' in again.output, again.output


@pytest.mark.parametrize("password", COMMON)
def test_users_add_refuses_a_common_password(vigie, sqlite_app, password):
    """`vigie users add` explains the refusal and adds nobody."""
    assert (
        vigie(
            "init", "--org", "Beta", "--admin", "sam@beta.io", "--password-stdin", stdin=STRONG
        ).exit_code
        == 0
    )
    result = vigie(
        "users", "add", "--org", "Beta", "kim@beta.io", "--password-stdin", stdin=password
    )
    refused_as_guessable(result)
    with sqlite_app.app_context(), session_scope() as session:
        assert session.scalar(select(User).where(User.email == "kim@beta.io")) is None


def test_users_add_refuses_the_organisation_name(vigie):
    assert (
        vigie(
            "init", "--org", "Beta Labs", "--admin", "sam@beta.io", "--password-stdin", stdin=STRONG
        ).exit_code
        == 0
    )
    result = vigie(
        "users",
        "add",
        "--org",
        "Beta Labs",
        "kim@beta.io",
        "--password-stdin",
        stdin="betalabs rocket tulip",
    )
    one_line_error(result, "password: must not contain the organisation's name")


def test_users_add_accepts_a_strong_password(vigie, sqlite_app):
    assert (
        vigie(
            "init", "--org", "Beta", "--admin", "sam@beta.io", "--password-stdin", stdin=STRONG
        ).exit_code
        == 0
    )
    result = vigie("users", "add", "--org", "Beta", "kim@beta.io", "--password-stdin", stdin=STRONG)
    assert result.exit_code == 0, result.output
    with sqlite_app.app_context(), session_scope() as session:
        user = session.scalar(select(User).where(User.email == "kim@beta.io"))
        assert password_matches(user.password_hash, STRONG)


@pytest.fixture
def member(sqlite_app):
    """A member of Acme, signed in on the dashboard."""
    make_team(sqlite_app)
    return sign_in(sqlite_app, MEMBER)


def change_password(client, new: str):
    return client.post(
        "/password",
        data={"current": TEAM_PASSWORD, "new": new, "again": new, "csrf_token": csrf(client)},
    )


@pytest.mark.parametrize("password", COMMON)
def test_the_password_page_refuses_a_common_password(sqlite_app, member, password):
    """The dashboard's own-password form says why, and keeps the old password."""
    answer = change_password(member, password)
    assert answer.status_code == 400
    assert "new: too easy to guess: it " in page_text(answer)
    with sqlite_app.app_context(), session_scope() as session:
        user = session.scalar(select(User).where(User.email == MEMBER))
        assert password_matches(user.password_hash, TEAM_PASSWORD)


def test_the_password_page_refuses_the_organisation_name(member):
    answer = change_password(member, "Acme lantern velvet")
    assert answer.status_code == 400
    assert "new: must not contain the organisation's name" in page_text(answer)


def test_the_password_page_accepts_a_strong_password(sqlite_app, member):
    answer = change_password(member, STRONG)
    assert answer.status_code == 302
    with sqlite_app.app_context(), session_scope() as session:
        user = session.scalar(select(User).where(User.email == MEMBER))
        assert password_matches(user.password_hash, STRONG)


def test_users_password_refuses_a_common_password_and_sets_a_strong_one(vigie, sqlite_app):
    """`vigie users password` applies the policy, then the user signs in with the new one."""
    init = ("init", "--org", "Beta", "--admin", "sam@beta.io", "--password-stdin")
    assert vigie(*init, stdin=STRONG).exit_code == 0
    refused_as_guessable(
        vigie("users", "password", "sam@beta.io", "--password-stdin", stdin="password123")
    )
    new = "violet harbour cinder 9"
    result = vigie("users", "password", "Sam@Beta.io", "--password-stdin", stdin=new)
    assert result.output.strip() == "Password of sam@beta.io changed."
    with sqlite_app.app_context(), session_scope() as session:
        user = session.scalar(select(User).where(User.email == "sam@beta.io"))
        assert password_matches(user.password_hash, new)
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.org_id == user.org_id))
        assert "user.password_changed" in list(actions)


def test_users_password_names_an_unknown_user(vigie):
    result = vigie("users", "password", "ghost@beta.io", "--password-stdin", stdin=STRONG)
    one_line_error(result, "email: ghost@beta.io is no user")
