"""The stored rows, as typed SQLAlchemy 2 mappings.

Tenancy: every row hangs off an `Organisation`. Query functions take the
organisation id first so that another organisation's ids read as missing.
No raw IP address and no raw user agent has a column here (SPEC.md privacy
rules 1 and 4): events keep the visitor hash and the reduced device facts.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, WriteOnlyMapped, mapped_column, relationship

from server.storage.types import BigId, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
"""Stable constraint names, so migrations can alter them on SQLite too."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime,
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[Any]: JSON,
    }


OrgId = Annotated[int, mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))]
"""The organisation a row belongs to (its tenant): the row goes when the organisation does."""

UtmValue = Annotated[str, mapped_column(String(255))]
"""A `utm_*` parameter of a visit or an event, cut to fit by the collector."""


def table_of(model: type[Base]) -> Table:
    """The model's table, for Core statements: SQLAlchemy types `__table__` as
    any FROM clause, though a mapped class's is always a Table."""
    return cast(Table, model.__table__)


class Organisation(Base):
    """A tenant: a team using Vigie."""

    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")
    sites: Mapped[list[Site]] = relationship(back_populates="organisation")


class User(Base):
    """Someone who signs in to the dashboard of one organisation."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[OrgId]
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16), default="member")
    locale: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # A disabled user cannot sign in and their open sessions end; the row stays
    # so the audit log and sales feedback keep naming them.
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    disabled_at: Mapped[datetime | None]
    # Set when an admin generated the password (a one-time password shown to
    # them once): the user must choose their own before using the dashboard.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)

    organisation: Mapped[Organisation] = relationship(back_populates="users")


class ApiToken(Base):
    """A bearer token for the API. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[OrgId]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Site(Base):
    """A tracked website: the domains allowed to send events and its public key."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[OrgId]
    name: Mapped[str] = mapped_column(String(200))
    public_key: Mapped[str] = mapped_column(String(32), unique=True)
    domains: Mapped[list[str]] = mapped_column(default=list)
    query_allowlist: Mapped[list[str]] = mapped_column(default=list)
    count_education: Mapped[bool] = mapped_column(Boolean, default=False)
    count_government: Mapped[bool] = mapped_column(Boolean, default=False)
    # Operators this site never counts as companies, in the shape of
    # enrich/data/networks.toml's [[network]] entries.
    extra_networks: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_event_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship(back_populates="sites")

    __table_args__ = (UniqueConstraint("org_id", "name"),)


class Account(Base):
    """A company recognised behind visits, unique per organisation by its key."""

    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[OrgId]
    key: Mapped[str] = mapped_column(String(255))
    # Firmographics
    name: Mapped[str] = mapped_column(String(255))
    domain: Mapped[str | None] = mapped_column(String(255))
    industry: Mapped[str | None] = mapped_column(String(120))
    employees: Mapped[int | None] = mapped_column(Integer)
    revenue_band: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str | None] = mapped_column(String(2))
    city: Mapped[str | None] = mapped_column(String(120))
    linkedin_url: Mapped[str | None] = mapped_column(String(300))
    firmographics: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The company's network (/24 or /48), for reverse DNS; never a visitor's address.
    network: Mapped[str | None] = mapped_column(String(43))
    # Provenance: the signal that identified the company (server/corrections/
    # provenance.py), its confidence, and the network's ASN and organisation
    # name, which corrections from the account page are keyed by.
    identified_by: Mapped[str | None] = mapped_column(String(24))
    confidence: Mapped[str | None] = mapped_column(String(8))
    asn: Mapped[int | None] = mapped_column(BigId)
    network_organisation: Mapped[str | None] = mapped_column(String(255))
    # Set when a user renamed the account: its name and domain then stay as
    # they chose, whatever enrichment says later.
    renamed_at: Mapped[datetime | None]
    # Aggregates kept up to date by ingestion
    first_seen: Mapped[datetime | None]
    last_seen: Mapped[datetime | None]
    visits_30d: Mapped[int] = mapped_column(default=0)
    active_days_30d: Mapped[int] = mapped_column(default=0)
    pageviews_total: Mapped[int] = mapped_column(default=0)
    top_pages: Mapped[list[str]] = mapped_column(default=list)
    # Score
    score: Mapped[int] = mapped_column(default=0)
    fit: Mapped[float] = mapped_column(Float, default=0.0)
    engagement: Mapped[float] = mapped_column(Float, default=0.0)
    tier: Mapped[str] = mapped_column(String(8), default="cold")
    explanation: Mapped[list[Any]] = mapped_column(default=list)
    scored_at: Mapped[datetime | None]
    hot_since: Mapped[datetime | None]
    # Where the company stands in the organisation's CRM, read back on each push
    # (server/crm/push.py): its lifecycle stage or account type, and whether it
    # is a customer (the expansion lane) or has an open opportunity.
    crm_lifecycle: Mapped[str | None] = mapped_column(String(60))
    crm_customer: Mapped[bool | None] = mapped_column(Boolean)
    crm_open_opportunity: Mapped[bool | None] = mapped_column(Boolean)
    crm_checked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    events: WriteOnlyMapped[Event] = relationship(passive_deletes=True)

    __table_args__ = (
        UniqueConstraint("org_id", "key"),
        Index("ix_accounts_org_score", "org_id", "score"),
        Index("ix_accounts_org_last_seen", "org_id", "last_seen"),
        Index("ix_accounts_org_domain", "org_id", "domain"),
        # The accounts list: sorting by name, filtering by tier, country or
        # industry, and counting the matches without reading the rows. The
        # domain rides along with the name so a name-or-domain search reads
        # this index only.
        Index("ix_accounts_org_name", "org_id", "name", "domain"),
        Index("ix_accounts_org_tier_score", "org_id", "tier", "score"),
        # Tier chips with a "seen in" period: the matching rows, without a lookup each.
        Index("ix_accounts_org_tier_last_seen", "org_id", "tier", "last_seen"),
        Index("ix_accounts_org_country", "org_id", "country"),
        Index("ix_accounts_org_industry", "org_id", "industry"),
        Index("ix_accounts_org_confidence", "org_id", "confidence"),
    )


class AccountAlias(Base):
    """Another key whose events land on an account: the key of an account merged
    into it, or the key of the domain it was renamed to."""

    __tablename__ = "account_aliases"

    org_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    account_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NetworkCorrection(Base):
    """An organisation's correction of a network: an ISP, a data centre, or
    company X; keyed by ASN, network organisation name or network (CIDR).
    Applied by the resolver to the organisation's sites (enrich/corrections.py)."""

    __tablename__ = "network_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[OrgId]
    scope: Mapped[str] = mapped_column(String(16))
    asn: Mapped[int | None] = mapped_column(BigId)
    organisation: Mapped[str | None] = mapped_column(String(255))
    network: Mapped[str | None] = mapped_column(String(43))
    effect: Mapped[str] = mapped_column(String(16))
    company_name: Mapped[str | None] = mapped_column(String(255))
    company_domain: Mapped[str | None] = mapped_column(String(255))
    # The account it was made from, and what its retroactive application did.
    account_name: Mapped[str | None] = mapped_column(String(255))
    retroactive: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_by: Mapped[str] = mapped_column(String(320))
    created_by_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_network_corrections_org", "org_id"),)


class VisitorContext:
    """The columns a visit takes from its first event and every event carries:
    who came (anonymously), from where, with what."""

    visitor_hash: Mapped[str] = mapped_column(String(32))
    referrer_host: Mapped[str | None] = mapped_column(String(255))
    utm_source: Mapped[UtmValue | None]
    utm_medium: Mapped[UtmValue | None]
    utm_campaign: Mapped[UtmValue | None]
    country: Mapped[str | None] = mapped_column(String(2))
    connection_class: Mapped[str] = mapped_column(String(16), default="unknown")
    device_class: Mapped[str | None] = mapped_column(String(16))
    browser_family: Mapped[str | None] = mapped_column(String(64))


class Visit(VisitorContext, Base):
    """A visitor's events with no gap longer than 30 minutes."""

    __tablename__ = "visits"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    started_at: Mapped[datetime]
    last_event_at: Mapped[datetime]
    pageviews: Mapped[int] = mapped_column(default=0)
    events_count: Mapped[int] = mapped_column(default=0)
    engaged_ms: Mapped[int] = mapped_column(BigId, default=0)
    entry_path: Mapped[str | None] = mapped_column(String(2048))

    __table_args__ = (
        # Not `last_event_at`, which every event moves: PostgreSQL updates a
        # visit in place (HOT) when no indexed column changes (migration 0019).
        Index("ix_visits_site_visitor", "site_id", "visitor_hash"),
        Index("ix_visits_account_started", "account_id", "started_at"),
        # The accounts list's site filter: has this account visited this site?
        Index("ix_visits_account_site", "account_id", "site_id"),
    )


class Event(VisitorContext, Base):
    """One accepted beacon, anonymised (SPEC.md privacy rule 4)."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), unique=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    occurred_at: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(64))
    path: Mapped[str] = mapped_column(String(2048))
    title: Mapped[str | None] = mapped_column(String(300))
    referrer_path: Mapped[str | None] = mapped_column(String(2048))
    utm_term: Mapped[UtmValue | None]
    utm_content: Mapped[UtmValue | None]
    props: Mapped[dict[str, Any]] = mapped_column(default=dict)
    engaged_ms: Mapped[int | None] = mapped_column(BigId)

    __table_args__ = (
        Index("ix_events_account_occurred", "account_id", "occurred_at"),
        Index("ix_events_site_occurred", "site_id", "occurred_at"),
        Index("ix_events_occurred", "occurred_at"),
        Index("ix_events_visit", "visit_id"),
    )


class ScoreSnapshot(Base):
    """An account's score on one day: the trend and the date it became hot."""

    __tablename__ = "score_snapshots"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    score: Mapped[int]
    fit: Mapped[float] = mapped_column(Float)
    engagement: Mapped[float] = mapped_column(Float)
    tier: Mapped[str] = mapped_column(String(8))


class DailySalt(Base):
    """The secret mixed into visitor hashes on one UTC day; deleted after two days."""

    __tablename__ = "daily_salts"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    salt: Mapped[bytes] = mapped_column(LargeBinary(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Enrichment(Base):
    """What one provider last said about one account, and whether it failed."""

    __tablename__ = "enrichments"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    provider: Mapped[str] = mapped_column(String(40), primary_key=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_attempt_at: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]


class Outcome(Base):
    """Sales feedback on an account: accepted, rejected, won or lost."""

    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[OrgId]
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    domain: Mapped[str | None] = mapped_column(String(255))
    outcome: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_outcomes_org_account", "org_id", "account_id"),)


class Contact(Base):
    """A decision maker at an account: a contact whose title matches a persona's roles."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    seniority: Mapped[str | None] = mapped_column(String(60))
    department: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    profile_url: Mapped[str | None] = mapped_column(String(500))
    found_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_contacts_account", "account_id"),)


class TrafficCount(Base):
    """Visits not kept as events, counted per site, day, kind (bot, isp, mobile…)
    and reason (`crawler` for a bot, `aws` for a data centre; see
    `server.collect.count_reasons`).

    Only business visits become events and accounts; the rest of the traffic is
    kept as these anonymous counts, for the identification funnel. Nothing here
    is per visitor. Counts kept before reasons existed have the reason `""`.
    """

    __tablename__ = "traffic_counts"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    reason: Mapped[str] = mapped_column(String(32), primary_key=True, default="", server_default="")
    count: Mapped[int] = mapped_column(BigId, default=0)


class CountReceipt(Base):
    """The receipt of a traffic count already added (`TrafficCountDelta.receipt`).

    A count delivered again (stored, then redelivered by the stream because it
    was not acknowledged before a crash) finds its receipt and is not added a
    second time. Receipts go after a couple of days (`retention.RECEIPT_DAYS`).
    """

    __tablename__ = "count_receipts"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    received_at: Mapped[datetime]

    __table_args__ = (Index("ix_count_receipts_received_at", "received_at"),)


class ImportedLine(Base):
    """A web server log line `vigie import-logs` stored (as an event or a count).

    Only a keyed hash of the site and the line is kept, never the line (which
    holds the client address), so importing a file again stores nothing twice.
    Rows go with the retention period of the line's day.
    """

    __tablename__ = "imported_lines"

    site_id: Mapped[int] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    day: Mapped[date] = mapped_column(Date)

    __table_args__ = (Index("ix_imported_lines_day", "day"),)


class ScoringModel(Base):
    """One version of an organisation's scoring model (TOML); the newest is in force."""

    __tablename__ = "scoring_models"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[OrgId]
    version: Mapped[int]
    text: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("org_id", "version"),)


class AuditEntry(Base):
    """One admin change (or sign-in attempt) in an organisation, for the audit log page.

    The actor is kept twice: the user id while the user exists, and a label
    (their e-mail, or "cli") that survives the user's deletion. No IP address.
    """

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[OrgId]
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    actor_label: Mapped[str] = mapped_column(String(320))
    action: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(320))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_audit_entries_org_at", "org_id", "at"),)


class SignInThrottle(Base):
    """Recent failed sign-ins for one e-mail, whoever sends them (server/throttle.py).

    The e-mail is kept only as a keyed hash, whether or not a user has it: the
    table neither copies addresses nor tells which ones are users'.
    """

    __tablename__ = "sign_in_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_attempt_at: Mapped[datetime] = mapped_column(index=True)
    blocked_until: Mapped[datetime | None]


class CrmConnection(Base):
    """An organisation's connection to one CRM (hubspot, salesforce, pipedrive).

    `settings` holds the plain settings and the field mapping; `secret` the
    encrypted secrets (server/crm/secrets.py), of which only `secret_hint`
    (the last 4 characters) is ever shown.
    """

    __tablename__ = "crm_connections"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[OrgId]
    crm: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    push_warm: Mapped[bool] = mapped_column(Boolean, default=False)
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    secret_hint: Mapped[str | None] = mapped_column(String(8))
    # The last connection test or push refused by the CRM: "token refused (HTTP 401)"…
    last_check: Mapped[str | None] = mapped_column(String(300))
    last_check_ok: Mapped[bool | None] = mapped_column(Boolean)
    last_check_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("org_id", "crm"),)


class CrmSync(Base):
    """One push of an account to a CRM and its outcome: pushed (created or
    updated), unchanged (nothing sent), refused (never pushed: why) or failed
    (the CRM's answer)."""

    __tablename__ = "crm_syncs"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[OrgId]
    account_id: Mapped[int | None] = mapped_column(
        BigId, ForeignKey("accounts.id", ondelete="CASCADE")
    )
    crm: Mapped[str] = mapped_column(String(16))
    trigger: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str] = mapped_column(String(16))
    change: Mapped[str | None] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(300))
    http_status: Mapped[int | None] = mapped_column(Integer)
    crm_id: Mapped[str | None] = mapped_column(String(64))
    score: Mapped[int | None] = mapped_column(Integer)
    # SHA-256 of what was written: a repeat with the same values sends nothing.
    fingerprint: Mapped[str | None] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_crm_syncs_org_at", "org_id", "at"),
        Index("ix_crm_syncs_account_crm_at", "account_id", "crm", "at"),
    )


class LeadList(Base):
    """A list of named leads an organisation imported (a trade-show export, a
    CRM extract…): the customer's own personal data, which Vigie processes for
    them. The column mapping chosen at the first import is remembered."""

    __tablename__ = "lead_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[OrgId]
    name: Mapped[str] = mapped_column(String(200))
    # {"email": header, "phone": header or None}: the file's columns to read.
    mapping: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Where national phone numbers (no +country prefix) are from, e.g. "FR".
    phone_region: Mapped[str | None] = mapped_column(String(2))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("org_id", "name"),)


class Lead(Base):
    """One named person of a lead list, keyed by the normalised e-mail (the same
    address twice in a list is one lead), with what was computed of it and its
    score. Personal data: every query is filtered by organisation."""

    __tablename__ = "leads"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("lead_lists.id", ondelete="CASCADE"))
    org_id: Mapped[OrgId]
    email: Mapped[str] = mapped_column(String(320))
    # The file's row as it was, header → cell, for the columns not mapped too.
    columns: Mapped[dict[str, Any]] = mapped_column(default=dict)
    phone: Mapped[str | None] = mapped_column(String(64))
    email_class: Mapped[str | None] = mapped_column(String(16))
    phone_class: Mapped[str | None] = mapped_column(String(16))
    country: Mapped[str | None] = mapped_column(String(2))
    country_source: Mapped[str | None] = mapped_column(String(16))
    language: Mapped[str | None] = mapped_column(String(8))
    company_domain: Mapped[str | None] = mapped_column(String(255))
    # The company's account, joined by domain; erasing the account unlinks it.
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="SET NULL"))
    score: Mapped[int] = mapped_column(default=0)
    tier: Mapped[str] = mapped_column(String(8), default="cold")
    explanation: Mapped[list[Any]] = mapped_column(default=list)
    scored_at: Mapped[datetime | None]
    imported_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        UniqueConstraint("list_id", "email"),
        Index("ix_leads_org_score", "org_id", "score"),
        Index("ix_leads_org_email", "org_id", "email"),
        Index("ix_leads_account", "account_id"),
        Index("ix_leads_imported_at", "imported_at"),
    )


class LeadWebsite(Base):
    """What a company's homepage said when last fetched, per organisation and
    e-mail domain (server/leads/websites.py): its title and language, read by
    the lead rules. About a company, never a person; refreshed after
    `VIGIE_LEAD_WEBSITE_REFRESH_DAYS`."""

    __tablename__ = "lead_websites"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[OrgId]
    domain: Mapped[str] = mapped_column(String(255))
    # "ok", "robots" (robots.txt disallows us), "refused" (a forbidden
    # address) or "failed" (timeout, HTTP error, not a page).
    status: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(300))
    html_lang: Mapped[str | None] = mapped_column(String(35))
    detected_language: Mapped[str | None] = mapped_column(String(8))
    truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str | None] = mapped_column(String(300))
    fetched_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (UniqueConstraint("org_id", "domain"),)


class AlertRule(Base):
    """When and where an alert goes: a channel (a user's e-mail, a Slack or
    Teams incoming webhook), a trigger and its limits (server/alerts/).

    E-mail rules belong to the user they write to (`user_id`); channel rules
    belong to the organisation (`user_id` empty, managed by admins). `target`
    is the incoming webhook's URL, a secret of its own: never logged.
    """

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[OrgId]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    channel: Mapped[str] = mapped_column(String(16))
    target: Mapped[str | None] = mapped_column(String(2048))
    trigger: Mapped[str] = mapped_column(String(24))
    threshold: Mapped[int | None] = mapped_column(Integer)
    saved_filter: Mapped[str | None] = mapped_column(String(1000))
    cooldown_hours: Mapped[int] = mapped_column(Integer, default=24)
    # Minutes after midnight in the organisation's time zone; empty: no quiet hours.
    quiet_start: Mapped[int | None] = mapped_column(Integer)
    quiet_end: Mapped[int | None] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_alert_rules_org_trigger", "org_id", "trigger"),)


class AlertDelivery(Base):
    """One alert of a rule about an account (or one digest): sent, held by
    quiet hours until `send_after`, or failed. The newest per rule and account
    is the cooldown's state."""

    __tablename__ = "alert_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[OrgId]
    rule_id: Mapped[int] = mapped_column(ForeignKey("alert_rules.id", ondelete="CASCADE"))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    reason: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(String(200))
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_alert_deliveries_rule_account", "rule_id", "account_id", "created_at"),
        Index("ix_alert_deliveries_status_send_after", "status", "send_after"),
    )


class WebhookSubscription(Base):
    """An endpoint that receives signed events (server/webhooks/). The secret
    signs every delivery: shown once when made, never logged."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[OrgId]
    url: Mapped[str] = mapped_column(String(2048))
    events: Mapped[list[str]] = mapped_column(default=list)
    secret: Mapped[str] = mapped_column(String(100))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WebhookDelivery(Base):
    """One event sent to one subscription, retried with backoff until
    `retry_until`, then dead-lettered."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    org_id: Mapped[OrgId]
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("webhook_subscriptions.id", ondelete="CASCADE")
    )
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(200))
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    retry_until: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]

    __table_args__ = (
        Index("ix_webhook_deliveries_status_next", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_org_created", "org_id", "created_at"),
    )


class AccountSignal(Base):
    """The tier and score last announced to webhooks for an account, so a
    change is sent once (`account.tier_changed`, `account.updated`)."""

    __tablename__ = "account_signals"

    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True
    )
    tier: Mapped[str] = mapped_column(String(8))
    score: Mapped[int]
    announced_at: Mapped[datetime] = mapped_column(default=utcnow)
