"""fact_survey_response.choice: the answer id of a centre's own multiple-choice question

Revision ID: 0013
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('fact_survey_response') as batch:
        batch.add_column(sa.Column('choice', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('fact_survey_response') as batch:
        batch.drop_column('choice')
