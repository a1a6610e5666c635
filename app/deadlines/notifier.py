"""Notifier seam: how escalations and reminders reach people (in-app by default, SMTP optionally)."""
from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy.orm import Session

from app.deadlines.models import Notification
from app.directory.models import User

log = logging.getLogger("lotse.notify")


@dataclass(frozen=True)
class Message:
    """What to tell: a kind (escalation, escalation_level2, reminder), a subject and a body."""

    kind: str
    subject: str
    body: str
    municipality_id: int
    task_id: int | None = None
    instance_id: int | None = None


class Notifier(Protocol):
    """Delivers a message to users."""

    def notify(self, session: Session, recipients: list[User], message: Message, *, now) -> None:
        """Deliver `message` to each recipient."""
        ...


class InAppNotifier:
    """Stores a notification per recipient (read at GET /api/notifications) and logs it."""

    def notify(self, session: Session, recipients: list[User], message: Message, *, now) -> None:
        """Write one notification row per recipient."""
        for user in recipients:
            session.add(Notification(municipality_id=message.municipality_id, recipient_id=user.id, kind=message.kind,
                                     task_id=message.task_id, instance_id=message.instance_id,
                                     subject=message.subject, body=message.body, created_at=now))
        log.info("%s to %s: %s", message.kind, ", ".join(u.username for u in recipients) or "nobody", message.subject)


class SmtpNotifier:
    """In-app notification plus an e-mail to recipients that have an address (configured by LOTSE_SMTP_*)."""

    def __init__(self, host: str, port: int, sender: str, inner: Notifier | None = None):
        self.host, self.port, self.sender = host, port, sender
        self.inner = inner or InAppNotifier()

    def notify(self, session: Session, recipients: list[User], message: Message, *, now) -> None:
        """Store in-app, then mail; a mail failure is logged and never loses the in-app notification."""
        self.inner.notify(session, recipients, message, now=now)
        addressed = [u.email for u in recipients if u.email]
        if not addressed:
            return
        mail = EmailMessage()
        mail["From"], mail["To"], mail["Subject"] = self.sender, ", ".join(addressed), message.subject
        mail.set_content(message.body)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=10) as smtp:
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            log.warning("mail to %d recipient(s) failed: %s", len(addressed), exc)


def notifier_from_config(config: dict) -> Notifier:
    """InAppNotifier unless an SMTP host is configured."""
    if config.get("SMTP_HOST"):
        return SmtpNotifier(config["SMTP_HOST"], int(config.get("SMTP_PORT", 25)),
                            config.get("SMTP_SENDER", "lotse@localhost"))
    return InAppNotifier()
