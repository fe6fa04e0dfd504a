"""Built weekly summaries kept while their sources are unchanged (report_cache)

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-26 01:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_cache',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('week', sa.String(length=8), nullable=False),
    sa.Column('scope_key', sa.String(length=48), nullable=False),
    sa.Column('stamp', sa.String(length=64), nullable=False),
    sa.Column('built_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_cache')),
    sa.UniqueConstraint('week', 'scope_key', name='uq_report_cache_week_scope')
    )


def downgrade():
    op.drop_table('report_cache')
