"""Sending mail (password reset links) when an SMTP server is configured. No Flask imports."""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from typing import Any

log = logging.getLogger(__name__)


def mail_configured(config: Mapping[str, Any]) -> bool:
    return bool(config.get("SMTP_HOST"))


def send_mail(config: Mapping[str, Any], to: str, subject: str, body: str) -> bool:
    """Send a plain-text mail; False (and a log line) when it could not be sent."""
    if not mail_configured(config):
        return False
    message = EmailMessage()
    message["From"] = config["SMTP_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    return send_message(config, message) is None


def send_message(config: Mapping[str, Any], message: EmailMessage) -> str | None:
    """Send a prepared message through the configured server; None when it went, else
    what went wrong (for the log and the administrators' mail page)."""
    if not mail_configured(config):
        return "no mail server is configured (SMTP_HOST)"
    if not message["From"]:
        message["From"] = config["SMTP_FROM"]
    to = message["To"]
    host, port, security = config["SMTP_HOST"], int(config["SMTP_PORT"]), config["SMTP_SECURITY"]
    try:
        if security == "ssl":
            server = smtplib.SMTP_SSL(host, port, timeout=10, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(host, port, timeout=10)
        with server:
            if security == "starttls":
                server.starttls(context=ssl.create_default_context())
            if config.get("SMTP_USER"):
                server.login(config["SMTP_USER"], config.get("SMTP_PASSWORD") or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        log.warning("could not send mail to %s: %s", to, error)
        return str(error) or error.__class__.__name__
    return None
