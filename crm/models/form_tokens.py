"""One-time form tokens claimed by the submission that saved a form (crm.core.form_tokens)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from crm.models.base import Base, UTCDateTime, utcnow


class FormToken(Base):
    """A form's token, claimed in the transaction of its write: the UNIQUE nonce lets one request win.

    Not a record of anything: a row older than a token's lifetime (FORM_TOKEN_HOURS) is pruned, since
    such a token is refused before it could be claimed again."""

    __tablename__ = "form_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    nonce: Mapped[str] = mapped_column(sa.String(32), unique=True)
    form: Mapped[str] = mapped_column(sa.String(40))  # the form class the token was issued for
    landing: Mapped[str | None] = mapped_column(sa.String(500))  # where the saving submission went
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
