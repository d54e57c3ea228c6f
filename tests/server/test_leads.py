"""Lead lists in the server: import, idempotence, bad rows, encodings, the join
to the company's account, export, API, erasure and retention."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import func, select

from scoring.model import default_model_text
from server.storage import session_scope
from server.storage.models import Account, AuditEntry, Lead, Organisation
from server.storage.retention import purge_leads
from server.storage.types import utcnow
from tests.support.accounts import make_account
from tests.support.cli import cli_for
from tests.support.factories import make_site
from tests.support.team import ADMIN, MEMBER, make_team, sign_in

LEADS_CSV = (
    "Nom,Email,Téléphone,Pays\n"
    "Dupont,j.dupont@acme.fr,+33 6 12 34 56 78,France\n"
    "Contact,contact@acme.fr,01 23 45 67 89,\n"
    "Jean,jean@orange.fr,,\n"
    "Yop,x@yopmail.fr,,\n"
    "Bad,bad@@x,,\n"
    "Hot,bob@hotcorp.fr,+1 202 555 0143,\n"
    'Formula,"=1+2@evil.fr",,\n'
)


def _write(tmp_path, text, name="salon.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _hot_account(app):
    """Acme's account of hotcorp.fr, hot on the web."""
    with app.app_context(), session_scope() as session:
        org_id = session.scalar(select(Organisation.id).where(Organisation.name == "Acme"))
        return make_account(
            session, org_id, "Hot Corp", domain="hotcorp.fr", score=88, tier="hot"
        ).id


def _count(app, model=Lead):
    with app.app_context(), session_scope() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_importing_the_same_file_twice_adds_nothing(app, tmp_path):
    """A re-import finds every lead already in the list and adds none."""
    make_site(app)
    vigie = cli_for(app, tmp_path)
    path = _write(tmp_path, LEADS_CSV)
    first = vigie("leads", "import", "--org", "Org", "--region", "FR", str(path))
    assert first.exit_code == 0, first.output
    assert "Leads added: 7" in first.output
    again = vigie("leads", "import", "--org", "Org", str(path))
    assert "Leads added: 0" in again.output and "Already in the list (skipped): 7" in again.output
    assert _count(app) == 7


def test_a_broken_row_is_named_and_the_others_imported(app, tmp_path):
    """A line with too many cells, an unclosed quote and a row without e-mail
    are named by their line; a malformed e-mail is a lead of class invalid."""
    make_site(app)
    text = (
        "email;phone\n"
        "a@acme.fr;0612345678\n"
        "b@acme.fr;1;2;3\n"
        '"c@acme.fr;06\n'
        ";0612345678\n"
        "bad@@x;\n"
        "d@acme.fr;\n"
    )
    result = cli_for(app, tmp_path)("leads", "import", "--org", "Org", str(_write(tmp_path, text)))
    assert result.exit_code == 0, result.output
    assert "line 3: 4 cell(s) where the header has 2" in result.output
    assert "line 4: a quote is opened and never closed" in result.output
    assert "line 5: no e-mail" in result.output
    assert "Leads added: 3" in result.output
    with app.app_context(), session_scope() as session:
        classes = dict(session.execute(select(Lead.email, Lead.email_class)).all())
    assert classes == {
        "a@acme.fr": "professional",
        "bad@@x": "invalid",
        "d@acme.fr": "professional",
    }


def test_windows_1252_with_semicolons_is_read(app, tmp_path):
    """Excel's French CSV: Windows-1252 and `;`, accents kept in the columns."""
    make_site(app)
    text = "Prénom;Société;E-mail;Téléphone\r\nHélène;Crédit Agricole;h.leroy@acme.fr;06 12 34 56 78\r\n"
    path = _write(tmp_path, text, encoding="cp1252")
    result = cli_for(app, tmp_path)("leads", "import", "--org", "Org", "--region", "fr", str(path))
    assert "Leads added: 1" in result.output, result.output
    with app.app_context(), session_scope() as session:
        lead = session.scalars(select(Lead)).one()
        assert lead.columns["Prénom"] == "Hélène" and lead.columns["Société"] == "Crédit Agricole"
        assert (lead.phone_class, lead.country, lead.company_domain) == ("mobile", "FR", "acme.fr")


def test_a_lead_of_a_hot_company_shows_both_scores(app, tmp_path):
    """The lead joins the hot account by domain; the page and the export show
    the lead's score and the company's web score; a new domain gets an account
    with no visit."""
    make_team(app)
    hot_id = _hot_account(app)
    vigie = cli_for(app, tmp_path)
    vigie("leads", "import", "--org", "Acme", "--list", "Salon", str(_write(tmp_path, LEADS_CSV)))
    with app.app_context(), session_scope() as session:
        bob = session.scalars(select(Lead).where(Lead.email == "bob@hotcorp.fr")).one()
        assert bob.account_id == hot_id
        acme = session.scalars(select(Account).where(Account.domain == "acme.fr")).one()
        assert acme.visits_30d == 0 and acme.pageviews_total == 0
    client = sign_in(app, MEMBER)
    page = client.get("/leads").get_data(as_text=True)
    first_row = page.split('data-email="')[1]
    assert first_row.startswith("bob@hotcorp.fr"), "the hot company's lead comes first"
    assert "Hot Corp" in first_row.split("</tr>")[0] and ">88<" in first_row.split("</tr>")[0]
    account_page = client.get(f"/accounts/{hot_id}").get_data(as_text=True)
    assert 'id="account-leads"' in account_page and "bob@hotcorp.fr" in account_page
    exported = vigie("leads", "export", "--org", "Acme")
    rows = list(csv.DictReader(io.StringIO(exported.output.lstrip("\ufeff"))))
    bob_row = next(row for row in rows if row["email"] == "bob@hotcorp.fr")
    assert (bob_row["account_score"], bob_row["account_tier"]) == ("88", "hot")


def test_export_has_every_column_and_is_injection_safe(app, tmp_path):
    """The export's columns are those promised, a formula e-mail is neutralised,
    and --min-score keeps the leads above the threshold."""
    make_site(app)
    vigie = cli_for(app, tmp_path)
    vigie("leads", "import", "--org", "Org", "--region", "FR", str(_write(tmp_path, LEADS_CSV)))
    result = vigie("leads", "export", "--org", "Org")
    assert result.output.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(result.output.lstrip("\ufeff"))))
    wanted = "email score tier email_class phone_class country language company_domain account_score account_tier why"
    assert set(wanted.split()) <= set(rows[0])
    emails = {row["email"] for row in rows}
    assert "'=1+2@evil.fr" in emails and "=1+2@evil.fr" not in emails
    assert all(not row["why"].startswith(("=", "+", "-", "@")) for row in rows)
    scores = sorted(int(row["score"]) for row in rows)
    threshold = scores[len(scores) // 2]
    above = vigie("leads", "export", "--org", "Org", "--min-score", str(threshold))
    kept = list(csv.DictReader(io.StringIO(above.output.lstrip("\ufeff"))))
    assert kept and all(int(row["score"]) >= threshold for row in kept)
    assert len(kept) < len(rows)
    bad = vigie("leads", "export", "--org", "Org", "--min-score", "lots")
    assert bad.exit_code == 2 and "--min-score" in bad.output


def test_erasing_an_address_removes_its_leads_everywhere(app, tmp_path):
    """`vigie erase --email` deletes the person's leads in every list and
    records the erasure without the address."""
    make_site(app)
    vigie = cli_for(app, tmp_path)
    path = _write(tmp_path, LEADS_CSV)
    vigie("leads", "import", "--org", "Org", "--list", "One", str(path))
    vigie("leads", "import", "--org", "Org", "--list", "Two", str(path))
    result = vigie("erase", "--email", " J.Dupont@ACME.fr ")
    assert result.exit_code == 0 and "Erased 2 lead(s)" in result.output, result.output
    with app.app_context(), session_scope() as session:
        assert not session.scalars(select(Lead).where(Lead.email == "j.dupont@acme.fr")).all()
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "leads.erased")
        ).all()
        assert entries and all(
            "dupont" not in str(entry.detail) + str(entry.target) for entry in entries
        )
    assert _count(app) == 12
    listed = vigie("leads", "erase-list", "--org", "Org", "--list", "Two")
    assert "6 lead(s)" in listed.output and _count(app) == 6


def test_leads_past_retention_are_purged(app, tmp_path):
    """Leads imported longer ago than the lead retention go; recent ones stay."""
    make_site(app)
    cli_for(app, tmp_path)("leads", "import", "--org", "Org", str(_write(tmp_path, LEADS_CSV)))
    with app.app_context(), session_scope() as session:
        oldest = session.scalars(select(Lead).order_by(Lead.id).limit(2)).all()
        for lead in oldest:
            lead.imported_at = utcnow() - timedelta(days=1200)
    with app.app_context(), session_scope() as session:
        assert purge_leads(session, utcnow() - timedelta(days=1095)) == 2
    assert _count(app) == 5


def test_api_lists_leads_with_the_company_score(app, tmp_path):
    """`/api/leads` answers JSON with filters; a bad filter is a 400 naming it."""
    make_team(app)
    hot_id = _hot_account(app)
    cli_for(app, tmp_path)("leads", "import", "--org", "Acme", str(_write(tmp_path, LEADS_CSV)))
    client = sign_in(app, ADMIN)
    answer = client.get("/api/leads?email_class=professional").get_json()
    assert answer["total"] >= 2
    assert {item["email_class"] for item in answer["items"]} == {"professional"}
    bob = client.get("/api/leads?country=us").get_json()
    assert any(item["account_id"] == hot_id for item in bob["items"])
    bad = client.get("/api/leads?tier=HOT")
    assert bad.status_code == 400 and bad.get_json()["field"] == "tier"
    exported = client.get("/api/leads.csv?excel=fr")
    assert exported.status_code == 200 and exported.get_data(as_text=True).startswith(
        "\ufeffemail;"
    )


def test_the_upload_page_maps_columns_and_imports(app):
    """Upload, choose the columns, see the leads; a member may import; the
    import is in the audit log; an oversized file is refused with a message."""
    make_team(app)
    client = sign_in(app, MEMBER)
    token = (
        client.get("/leads")
        .get_data(as_text=True)
        .split('name="csrf_token" type="hidden" value="')[1]
        .split('"')[0]
    )
    upload = client.post(
        "/leads/upload",
        data={"csrf_token": token, "file": (io.BytesIO(LEADS_CSV.encode()), "salon.csv")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 302
    mapping_page = client.get(upload.headers["Location"]).get_data(as_text=True)
    assert "Téléphone" in mapping_page and 'value="salon"' in mapping_page
    answer = client.post(
        upload.headers["Location"].split("?")[0],
        data={
            "csrf_token": token,
            "list": "Salon",
            "email_column": "Email",
            "phone_column": "Téléphone",
            "country_column": "Pays",
            "region": "FR",
        },
    )
    assert answer.status_code == 302
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "7 lead(s) added" in page and "j.dupont@acme.fr" in page
    with app.app_context(), session_scope() as session:
        assert session.scalars(
            select(AuditEntry).where(AuditEntry.action == "leads.imported")
        ).one()
    app.config["LEAD_UPLOAD_MAX_MB"] = 1
    big = client.post(
        "/leads/upload",
        data={
            "csrf_token": token,
            "file": (io.BytesIO(b"email\n" + b"a@b.fr\n" * 300_000), "big.csv"),
        },
        content_type="multipart/form-data",
    )
    assert big.status_code == 413 and "larger than 1 MB" in big.get_data(as_text=True)
    wrong = client.post(
        answer.headers["Location"].replace("/leads?list=", "/leads/import/nosuchtoken"),
        data={"csrf_token": token},
    )
    assert wrong.status_code in (302, 404)


def test_saving_the_model_rescores_leads(app, tmp_path):
    """`vigie model set` rescores leads with the new model's lead rules."""
    make_site(app)
    vigie = cli_for(app, tmp_path)
    vigie("leads", "import", "--org", "Org", str(_write(tmp_path, LEADS_CSV)))
    text = default_model_text()
    assert "[leads.email]" in text
    model = tmp_path / "model.toml"
    model.write_text(text.replace("[leads.email]\n", "[leads.email]\n# changed\n"), "utf-8")
    with app.app_context(), session_scope() as session:
        before = session.scalar(select(func.max(Lead.scored_at)))
    result = vigie("model", "set", "--org", "Org", str(model))
    assert result.exit_code == 0 and "7 lead(s) rescored" in result.output, result.output
    with app.app_context(), session_scope() as session:
        assert session.scalar(select(func.min(Lead.scored_at))) > before
