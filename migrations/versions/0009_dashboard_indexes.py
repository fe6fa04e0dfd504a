"""Indexes for the dashboard: breakdowns read from covering indexes, the trend by created_at

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26 02:40:00

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('target_company', schema=None) as batch_op:
        batch_op.create_index('ix_target_company_status_cluster', ['status', 'cluster_id', 'intended_investment'], unique=False)
        batch_op.create_index('ix_target_company_created_at', ['created_at'], unique=False)
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.create_index('ix_project_stage_cluster_region', ['stage', 'cluster_id', 'region_id', 'total_investment'], unique=False)
        batch_op.create_index('ix_project_created_at', ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('project', schema=None) as batch_op:
        batch_op.drop_index('ix_project_created_at')
        batch_op.drop_index('ix_project_stage_cluster_region')
    with op.batch_alter_table('target_company', schema=None) as batch_op:
        batch_op.drop_index('ix_target_company_created_at')
        batch_op.drop_index('ix_target_company_status_cluster')
