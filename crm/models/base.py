"""Declarative base, naming convention and the column types shared by every model."""

from datetime import UTC, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC (used as a column default)."""
    return datetime.now(UTC)


CENT = Decimal("0.01")


class Money(sa.types.TypeDecorator):
    """An exact amount with two decimals (亿元, 万美元, 亩), returned as Decimal.

    PostgreSQL keeps NUMERIC(14, 2). SQLite has no exact decimal type (NUMERIC columns hold
    floats there), so on SQLite the amount is stored as an integer number of hundredths; SUM()
    keeps this type, so aggregates come back as exact Decimals on both databases.
    """

    impl = sa.Numeric(14, 2)
    cache_ok = True
    PRECISION, SCALE = 14, 2

    def load_dialect_impl(self, dialect):
        if dialect.name == "sqlite":
            return dialect.type_descriptor(sa.BigInteger())
        return dialect.type_descriptor(sa.Numeric(self.PRECISION, self.SCALE))

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        amount, quantum = Decimal(value), Decimal(1).scaleb(-self.SCALE)
        if amount != amount.quantize(quantum):
            raise ValueError(f"最多 {self.SCALE} 位小数：{value}")
        return int(amount.scaleb(self.SCALE)) if dialect.name == "sqlite" else amount

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        quantum = Decimal(1).scaleb(-self.SCALE)
        if dialect.name == "sqlite":
            return Decimal(int(value)).scaleb(-self.SCALE).quantize(quantum)
        return Decimal(value).quantize(quantum)


class Rate(Money):
    """An exact rate with four decimals (人民币 per 美元), kept as Money is: NUMERIC(10, 4), or an
    integer number of ten-thousandths on SQLite."""

    impl = sa.Numeric(10, 4)
    cache_ok = True
    PRECISION, SCALE = 10, 4


class UTCDateTime(sa.types.TypeDecorator):
    """A timestamp stored in UTC and always returned timezone-aware."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
