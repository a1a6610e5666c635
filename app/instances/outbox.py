"""Messages between cases: a message thrown by one instance is delivered to the instance of the same
business key that waits for it (or starts the process it starts). Messages nobody waits for yet stay
pending and are retried by the scheduler, so a hand-off does not get lost when the receiving case
has not reached its catch event."""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from app.clock import Clock
from app.db_types import UTCDateTime
from app.extensions import Model

# How long an undeliverable message waits before it expires (LOTSE_MESSAGE_EXPIRY overrides it).
PENDING_FOR = timedelta(days=7)


class PendingMessage(Model):
    """A message thrown by an instance, until it is delivered (or expires)."""

    __tablename__ = "pending_message"
    __table_args__ = (Index("ix_pending_message_open", "status", "municipality_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipality.id"))
    name: Mapped[str] = mapped_column(String(200))
    business_key: Mapped[str] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    source_instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | delivered | expired | erased
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    target_instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)


def deliver(session: Session, message: PendingMessage, *, clock: Clock) -> bool:
    """Try to deliver one pending message; True when it reached a case (which may then have an incident)."""
    from app.directory.service import system_principal
    from app.errors import Conflict, NotFound
    from app.instances.messages import correlate
    from app.orchestration import IncidentRaised

    actor = system_principal(message.municipality_id)
    try:
        # A message starts only a process that was deployed when it arrived, never a later model.
        result = correlate(session, actor=actor, name=message.name, business_key=message.business_key,
                           payload=message.payload, clock=clock, exclude_instance_id=message.source_instance_id,
                           arrived_at=message.created_at)
    except IncidentRaised as exc:
        result = {"instance_id": exc.details["instance_id"]}
    except (NotFound, Conflict):
        return False
    message.status, message.delivered_at = "delivered", clock.now()
    message.target_instance_id = result["instance_id"]
    session.flush()
    return True


def deliver_pending(session: Session, *, clock: Clock, limit: int = 200, expire_after: timedelta | None = None) -> int:
    """Scheduler job: retry pending messages (oldest first), expire old ones; commits per message."""
    delivered = 0
    now = clock.now()
    expire_after = expire_after or PENDING_FOR
    ids = list(session.scalars(select(PendingMessage.id).where(PendingMessage.status == "pending")
                               .order_by(PendingMessage.id).limit(limit)))
    for message_id in ids:
        message = session.scalar(select(PendingMessage).where(PendingMessage.id == message_id,
                                                              PendingMessage.status == "pending")
                                 .with_for_update(skip_locked=True))
        if message is None:
            session.rollback()
            continue
        if message.created_at < now - expire_after:
            message.status = "expired"
        elif deliver(session, message, clock=clock):
            delivered += 1
        session.commit()
    return delivered
