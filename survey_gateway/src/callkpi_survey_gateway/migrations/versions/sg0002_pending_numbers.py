"""pending numbers: a contact's number kept (encrypted) from the batch that carried it until it completes

Revision ID: sg0002
Revises: sg0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "sg0002"
down_revision = "sg0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sg_pending_number",
        sa.Column("centre", sa.String(length=64), nullable=False),
        sa.Column("contactid", sa.String(length=128), nullable=False),
        sa.Column("number_enc", sa.Text(), nullable=False),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("centre", "contactid"),
    )
    op.create_index("ix_sg_pending_number_seen", "sg_pending_number", ["seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sg_pending_number_seen", table_name="sg_pending_number")
    op.drop_table("sg_pending_number")
