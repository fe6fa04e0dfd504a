"""Indexes for the lists' default order (last changed first)

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-26 02:50:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('target_company', schema=None) as batch_op:
        batch_op.create_index('ix_target_company_updated', ['updated_at', 'id'], unique=False)
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index('ix_project_updated', ['updated_at', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index('ix_project_updated')
    with op.batch_alter_table('target_company', schema=None) as batch_op:
        batch_op.drop_index('ix_target_company_updated')
