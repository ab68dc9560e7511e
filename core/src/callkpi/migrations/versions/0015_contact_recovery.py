"""fact_contact: callback_of, recovered_after_s, recovered_by, recovery_contactid

Whether an abandoned or timed-out contact's customer was reached again, how and after how
long (callkpi.projector.recovery). Existing rows get the columns empty; `callkpi rebuild`
fills them from the stored events.

Revision ID: 0015
Revises: 0011
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # plain ADD COLUMN (nullable, no default): SQLite and PostgreSQL add it without copying the table
    op.add_column('fact_contact', sa.Column('callback_of', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True))
    op.add_column('fact_contact', sa.Column('recovered_after_s', sa.Float(), nullable=True))
    op.add_column('fact_contact', sa.Column('recovered_by', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
    op.add_column(
        'fact_contact', sa.Column('recovery_contactid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True)
    )


def downgrade() -> None:
    with op.batch_alter_table('fact_contact') as batch:
        for name in ('recovery_contactid', 'recovered_by', 'recovered_after_s', 'callback_of'):
            batch.drop_column(name)
