"""seconds from a survey response to its follow-up

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fact_survey_response') as batch:
        batch.add_column(sa.Column('followup_s', sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fact_survey_response') as batch:
        batch.drop_column('followup_s')
