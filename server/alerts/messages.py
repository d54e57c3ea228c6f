"""The words of an alert on each channel.

* Slack: Block Kit (header, a section with score, tier and why, a context
  line, a button to the account), with a plain `text` for notifications and
  for JSON endpoints that read only that.
* Teams: an incoming webhook message carrying one Adaptive Card.
* E-mail: a subject, a text part and an HTML part (`mailer.py` sends them).

Channel messages are written in the app's default language (a channel is
read by many); e-mails in their reader's, by the caller's `force_locale`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import render_template
from flask_babel import gettext as _

from server.storage.models import Account

SLACK_HEADER_LIMIT = 150
"""Longest text Slack takes in a header block."""

WHY_SHOWN = 3
"""Reasons of a score an alert names."""


@dataclass(frozen=True)
class AccountCard:
    """What an alert says about an account."""

    id: int
    name: str
    domain: str | None
    score: int
    tier: str
    why: tuple[str, ...]
    link: str | None

    @property
    def title(self) -> str:
        return self.name + (f" ({self.domain})" if self.domain else "")


def account_card(account: Account, public_url: str | None) -> AccountCard:
    """An account's alert facts; a link when `VIGIE_PUBLIC_URL` is set."""
    why = tuple(
        f"{item['label']} ({item['points']:+g})" for item in (account.explanation or [])[:WHY_SHOWN]
    )
    link = f"{public_url}/accounts/{account.id}" if public_url else None
    return AccountCard(
        account.id, account.name, account.domain, account.score, account.tier, why, link
    )


def headline(card: AccountCard, reason: str) -> str:
    """One line: "🔥 Acme (acme.com): became hot, score 82"."""
    return f"🔥 {card.title}: {reason}, {_('score')} {card.score}"


def slack_message(card: AccountCard, reason: str) -> dict[str, Any]:
    """A Slack incoming webhook message in Block Kit, with a `text` fallback."""
    why = ", ".join(card.why) or _("n/a")
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": card.title[:SLACK_HEADER_LIMIT]}},
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*{_('Score')}*\n{card.score}"},
                {"type": "mrkdwn", "text": f"*{_('Tier')}*\n{card.tier}"},
            ],
            "text": {"type": "mrkdwn", "text": f"*{_('Why')}*: {why}"},
        },
        {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Vigie · {reason}"}]},
    ]
    if card.link:
        blocks.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": _("Open in Vigie")},
                        "url": card.link,
                        "action_id": "open_account",
                    }
                ],
            }
        )
    # The fallback is what notifications show: the reasons belong in it too.
    text = f"{headline(card, reason)}. {_('Why')}: {why}"
    if card.link:
        text += f" <{card.link}|{_('Open in Vigie')}>"
    return {"text": text, "blocks": blocks}


def teams_message(card: AccountCard, reason: str) -> dict[str, Any]:
    """A Teams incoming webhook message: one Adaptive Card (schema 1.4)."""
    content: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": card.title,
                "size": "Large",
                "weight": "Bolder",
                "wrap": True,
            },
            {"type": "TextBlock", "text": f"Vigie · {reason}", "isSubtle": True, "wrap": True},
            {
                "type": "FactSet",
                "facts": [
                    {"title": _("Score"), "value": str(card.score)},
                    {"title": _("Tier"), "value": card.tier},
                    {"title": _("Why"), "value": ", ".join(card.why) or _("n/a")},
                ],
            },
        ],
    }
    if card.link:
        content["actions"] = [
            {"type": "Action.OpenUrl", "title": _("Open in Vigie"), "url": card.link}
        ]
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": content,
            }
        ],
    }


@dataclass(frozen=True)
class Email:
    """An e-mail ready to send: both parts say the same."""

    subject: str
    text: str
    html: str


def alert_email(card: AccountCard, reason: str) -> Email:
    """One account's alert as an e-mail, in the current locale."""
    return Email(
        subject=headline(card, reason),
        text=render_template("email/alert.txt", card=card, reason=reason),
        html=render_template("email/alert.html", card=card, reason=reason),
    )
