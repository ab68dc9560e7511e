"""fact_contact_leg: a row per queue leg and per agent leg of a contact

Revision ID: 0009
Revises: 0008

The table starts empty: ``callkpi rebuild`` folds the legs of the contacts already stored
(the projector writes them for every contact it folds from then on).
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # transfers split a contact into legs, so queue and agent KPIs can count each queue and agent
    op.create_table('fact_contact_leg',
    sa.Column('local_date', sa.Date(), nullable=True),
    sa.Column('local_interval', sa.Integer(), nullable=True),
    sa.Column('local_hour', sa.Integer(), nullable=True),
    sa.Column('local_weekday', sa.Integer(), nullable=True),
    sa.Column('local_week', sa.Date(), nullable=True),
    sa.Column('local_month', sa.Date(), nullable=True),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('contactid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('leg', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True),
    sa.Column('offered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('wrapup_ended_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('outcome', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('wait_s', sa.Float(), nullable=True),
    sa.Column('ring_s', sa.Float(), nullable=True),
    sa.Column('talk_s', sa.Float(), nullable=True),
    sa.Column('hold_s', sa.Float(), nullable=True),
    sa.Column('hold_count', sa.Integer(), nullable=False),
    sa.Column('longest_hold_s', sa.Float(), nullable=True),
    sa.Column('acw_s', sa.Float(), nullable=True),
    sa.Column('handle_s', sa.Float(), nullable=True),
    sa.Column('transfer_kind', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('to_queue', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('to_agent', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.PrimaryKeyConstraint('centre', 'contactid', 'seq')
    )
    op.create_index('ix_fact_contact_leg_offered', 'fact_contact_leg', ['centre', 'offered_at'], unique=False)
    op.create_index('ix_fact_contact_leg_local_date_centre', 'fact_contact_leg', ['local_date', 'centre'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_fact_contact_leg_local_date_centre', table_name='fact_contact_leg')
    op.drop_index('ix_fact_contact_leg_offered', table_name='fact_contact_leg')
    op.drop_table('fact_contact_leg')
