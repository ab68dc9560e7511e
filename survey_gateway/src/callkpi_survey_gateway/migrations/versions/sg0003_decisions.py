"""decisions: every survey policy and send-time decision with its reason (`callkpi survey why`)

Revision ID: sg0003
Revises: sg0002
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "sg0003"
down_revision = "sg0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sg_decision",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("centre", sa.String(length=64), nullable=False),
        sa.Column("contactid", sa.String(length=128), nullable=False),
        sa.Column("survey_id", sa.String(length=32), nullable=True),
        sa.Column("decision", sa.String(length=24), nullable=False),
        sa.Column("reason_code", sa.String(length=24), nullable=False),
        sa.Column("reason", sa.String(length=300), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sg_decision_contact", "sg_decision", ["contactid", "decided_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sg_decision_contact", table_name="sg_decision")
    op.drop_table("sg_decision")
