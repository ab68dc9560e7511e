"""gateway tables: surveys, outbox, suppression, dedupe, answers, web tokens, event outbox

Revision ID: sg0001
Revises: (none)
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = 'sg0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sg_answer',
    sa.Column('survey_id', sa.String(length=32), nullable=False),
    sa.Column('instrument', sa.String(length=16), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('answered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('via', sa.String(length=8), nullable=False),
    sa.PrimaryKeyConstraint('survey_id', 'instrument')
    )
    op.create_table('sg_event_outbox',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('centre', sa.String(length=64), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('flushed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('sg_event_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_sg_event_outbox_unflushed', ['flushed_at', 'id'], unique=False)

    op.create_table('sg_inbound_seen',
    sa.Column('message_sid', sa.String(length=64), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('message_sid')
    )
    op.create_table('sg_message',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('survey_id', sa.String(length=32), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('provider_sid', sa.String(length=64), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('not_before', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('claimed_by', sa.String(length=64), nullable=True),
    sa.Column('claimed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('error_code', sa.String(length=16), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('updated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('provider_sid')
    )
    with op.batch_alter_table('sg_message', schema=None) as batch_op:
        batch_op.create_index('ix_sg_message_due', ['status', 'not_before'], unique=False)
        batch_op.create_index(batch_op.f('ix_sg_message_survey_id'), ['survey_id'], unique=False)

    op.create_table('sg_status_seen',
    sa.Column('message_sid', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('received_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('message_sid', 'status')
    )
    op.create_table('sg_suppression',
    sa.Column('customer_hmac', sa.String(length=128), nullable=False),
    sa.Column('centre', sa.String(length=64), nullable=False),
    sa.Column('opted_out_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('keyword', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('customer_hmac')
    )
    op.create_table('sg_survey',
    sa.Column('id', sa.String(length=32), nullable=False),
    sa.Column('centre', sa.String(length=64), nullable=False),
    sa.Column('contactid', sa.String(length=128), nullable=False),
    sa.Column('agentid', sa.String(length=128), nullable=True),
    sa.Column('queue', sa.String(length=128), nullable=True),
    sa.Column('customer_hmac', sa.String(length=128), nullable=True),
    sa.Column('number_enc', sa.Text(), nullable=True),
    sa.Column('timezones', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('instruments', sa.JSON(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('step', sa.Integer(), nullable=False),
    sa.Column('reprompts', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('due_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('reminder_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('closed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('close_reason', sa.String(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('centre', 'contactid', name='uq_sg_survey_contact')
    )
    with op.batch_alter_table('sg_survey', schema=None) as batch_op:
        batch_op.create_index('ix_sg_survey_customer', ['customer_hmac', 'created_at'], unique=False)
        batch_op.create_index('ix_sg_survey_status_expiry', ['status', 'expires_at'], unique=False)

    op.create_table('sg_web_token',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('survey_id', sa.String(length=32), nullable=False),
    sa.Column('expires_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('used_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('token_hash')
    )
    with op.batch_alter_table('sg_web_token', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sg_web_token_survey_id'), ['survey_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sg_web_token', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sg_web_token_survey_id'))

    op.drop_table('sg_web_token')
    with op.batch_alter_table('sg_survey', schema=None) as batch_op:
        batch_op.drop_index('ix_sg_survey_status_expiry')
        batch_op.drop_index('ix_sg_survey_customer')

    op.drop_table('sg_survey')
    op.drop_table('sg_suppression')
    op.drop_table('sg_status_seen')
    with op.batch_alter_table('sg_message', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sg_message_survey_id'))
        batch_op.drop_index('ix_sg_message_due')

    op.drop_table('sg_message')
    op.drop_table('sg_inbound_seen')
    with op.batch_alter_table('sg_event_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_sg_event_outbox_unflushed')

    op.drop_table('sg_event_outbox')
    op.drop_table('sg_answer')
