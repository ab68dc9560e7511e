"""initial schema

Revision ID: 0001
Revises: (none)
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_key',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('prefix', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('key_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('scope', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('label', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('revoked_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('key_hash'),
    sa.UniqueConstraint('prefix')
    )
    op.create_table('centre',
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('timezone', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('settings', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name')
    )
    op.create_table('checkpoint',
    sa.Column('connector', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('connector', 'source')
    )
    op.create_table('dim_agent',
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('site', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('joined_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('left_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('centre', 'agentid')
    )
    op.create_table('event',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('time', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('contactid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('content_hash', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.create_index('ix_event_agent', ['centre', 'agentid', 'time'], unique=False)
        batch_op.create_index('ix_event_contact', ['centre', 'contactid'], unique=False)
        batch_op.create_index(batch_op.f('ix_event_type'), ['type'], unique=False)

    op.create_table('fact_agent_interval',
    sa.Column('local_date', sa.Date(), nullable=True),
    sa.Column('local_interval', sa.Integer(), nullable=True),
    sa.Column('local_hour', sa.Integer(), nullable=True),
    sa.Column('local_weekday', sa.Integer(), nullable=True),
    sa.Column('local_week', sa.Date(), nullable=True),
    sa.Column('local_month', sa.Date(), nullable=True),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('interval_start', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('staffed_s', sa.Float(), nullable=False),
    sa.Column('available_s', sa.Float(), nullable=False),
    sa.Column('on_contact_s', sa.Float(), nullable=False),
    sa.Column('acw_s', sa.Float(), nullable=False),
    sa.Column('not_ready_s', sa.Float(), nullable=False),
    sa.Column('breaks_started', sa.Integer(), nullable=False),
    sa.Column('scheduled_s', sa.Float(), nullable=False),
    sa.Column('adherent_s', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('centre', 'agentid', 'interval_start')
    )
    with op.batch_alter_table('fact_agent_interval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fact_agent_interval_local_date'), ['local_date'], unique=False)

    op.create_table('fact_contact',
    sa.Column('local_date', sa.Date(), nullable=True),
    sa.Column('local_interval', sa.Integer(), nullable=True),
    sa.Column('local_hour', sa.Integer(), nullable=True),
    sa.Column('local_weekday', sa.Integer(), nullable=True),
    sa.Column('local_week', sa.Date(), nullable=True),
    sa.Column('local_month', sa.Date(), nullable=True),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('contactid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('direction', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('customer_hmac', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
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
    sa.Column('transfers', sa.Integer(), nullable=False),
    sa.Column('first_response_s', sa.Float(), nullable=True),
    sa.Column('disposition', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('resolved', sa.Boolean(), nullable=True),
    sa.Column('revenue', sa.Float(), nullable=False),
    sa.Column('sales', sa.Integer(), nullable=False),
    sa.Column('next_contact_gap_s', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('centre', 'contactid')
    )
    with op.batch_alter_table('fact_contact', schema=None) as batch_op:
        batch_op.create_index('ix_fact_contact_customer', ['centre', 'customer_hmac', 'offered_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_fact_contact_local_date'), ['local_date'], unique=False)
        batch_op.create_index('ix_fact_contact_offered', ['centre', 'offered_at'], unique=False)

    op.create_table('installation',
    sa.Column('key', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('value', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('key')
    )
    op.create_table('quarantine',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('origin', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('raw', sa.Text(), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('resolved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quarantine_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_quarantine_received_at'), ['received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_quarantine_status'), ['status'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('quarantine', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quarantine_status'))
        batch_op.drop_index(batch_op.f('ix_quarantine_received_at'))
        batch_op.drop_index(batch_op.f('ix_quarantine_event_id'))

    op.drop_table('quarantine')
    op.drop_table('installation')
    with op.batch_alter_table('fact_contact', schema=None) as batch_op:
        batch_op.drop_index('ix_fact_contact_offered')
        batch_op.drop_index(batch_op.f('ix_fact_contact_local_date'))
        batch_op.drop_index('ix_fact_contact_customer')

    op.drop_table('fact_contact')
    with op.batch_alter_table('fact_agent_interval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fact_agent_interval_local_date'))

    op.drop_table('fact_agent_interval')
    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_type'))
        batch_op.drop_index('ix_event_contact')
        batch_op.drop_index('ix_event_agent')

    op.drop_table('event')
    op.drop_table('dim_agent')
    op.drop_table('checkpoint')
    op.drop_table('centre')
    op.drop_table('api_key')
