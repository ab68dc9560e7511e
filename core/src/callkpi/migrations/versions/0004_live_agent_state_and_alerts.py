"""live agent states and alert rules' state, changes and webhook deliveries

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('live_agent_state',
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.PrimaryKeyConstraint('centre', 'agentid')
    )
    op.create_table('alert_state',
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('rule_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('changes', sa.Integer(), nullable=False),
    sa.Column('evaluated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('centre', 'rule_id')
    )
    op.create_table('alert_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('rule_id', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('rule', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('kpi', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('value', sa.Float(), nullable=True),
    sa.Column('threshold', sa.Float(), nullable=False),
    sa.Column('since', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('centre', 'rule_id', 'seq', name='uq_alert_change_rule_seq')
    )
    with op.batch_alter_table('alert_change', schema=None) as batch_op:
        batch_op.create_index('ix_alert_change_centre_at', ['centre', 'at'], unique=False)

    op.create_table('alert_delivery',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('change_id', sa.Integer(), nullable=False),
    sa.Column('url', sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('delivered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('last_error', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=True),
    sa.ForeignKeyConstraint(['change_id'], ['alert_change.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('change_id', 'url', name='uq_alert_delivery_change_url')
    )
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.create_index('ix_alert_delivery_due', ['status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('alert_delivery', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_delivery_due')
    op.drop_table('alert_delivery')
    with op.batch_alter_table('alert_change', schema=None) as batch_op:
        batch_op.drop_index('ix_alert_change_centre_at')
    op.drop_table('alert_change')
    op.drop_table('alert_state')
    op.drop_table('live_agent_state')
