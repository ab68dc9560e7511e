"""index event (centre, received_at), for the snapshot refresh's watermark

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # every DuckDB report refreshes the snapshot first: the newest received_at of a centre, and
    # whether any event came after the last watermark, were scans of the centre's events
    op.create_index('ix_event_centre_received', 'event', ['centre', 'received_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_event_centre_received', table_name='event')
