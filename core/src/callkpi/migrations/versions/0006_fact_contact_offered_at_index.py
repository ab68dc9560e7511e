"""index fact_contact.offered_at alone, for the end of the data over every centre

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # a plain CREATE INDEX: batch mode could copy the whole fact table on SQLite
    op.create_index('ix_fact_contact_offered_at', 'fact_contact', ['offered_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_fact_contact_offered_at', table_name='fact_contact')
