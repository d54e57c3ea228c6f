"""Sending an e-mail through the operator's SMTP server (`VIGIE_SMTP_*`).

The SMTP server is the operator's own setting, not a user's, so it is not
checked against the outbound rules as webhook URLs are. What a failure tells
back is one short line ("failed: SMTP 550", "failed: connection refused"),
never the address it was for.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from typing import Any

from server.alerts.messages import Email

SMTP_TIMEOUT = 15.0
"""Seconds the SMTP server may take to answer each step."""


class MailFailed(RuntimeError):
    """The e-mail was not accepted; the message is what the user is told."""


def mail_configured(config: dict[str, Any]) -> bool:
    return bool(config.get("SMTP_HOST"))


def send_email(config: dict[str, Any], to: str, email: Email) -> None:
    """Send `email` to `to` with the app's SMTP settings.

    :raise MailFailed: when SMTP is not set up, or the server refused or failed.
    """
    if not mail_configured(config):
        raise MailFailed("failed: no SMTP server is configured (VIGIE_SMTP_HOST)")
    message = EmailMessage()
    message["Subject"] = email.subject
    message["From"] = config["SMTP_FROM"]
    message["To"] = to
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    try:
        with smtplib.SMTP(config["SMTP_HOST"], config["SMTP_PORT"], timeout=SMTP_TIMEOUT) as smtp:
            if config["SMTP_STARTTLS"]:
                smtp.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USERNAME"):
                smtp.login(str(config["SMTP_USERNAME"]), str(config.get("SMTP_PASSWORD") or ""))
            smtp.send_message(message)
    except smtplib.SMTPResponseException as refusal:
        raise MailFailed(f"failed: SMTP {refusal.smtp_code}") from None
    except smtplib.SMTPException as error:
        raise MailFailed(f"failed: SMTP {type(error).__name__}") from None
    except TimeoutError:
        raise MailFailed("failed: timeout") from None
    except OSError as error:
        raise MailFailed(f"failed: {error.strerror or 'connection error'}".lower()) from None
