"""schedule_segment: the planned segments of schedule.published events, by agent and time

Revision ID: 0008
Revises: 0007
"""

import json
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

BACKFILL_CHUNK = 1000


def upgrade() -> None:
    # ingest read every schedule an agent ever had on each batch that touched the agent; the
    # segments, indexed by their end, let it read only those near the batch's window
    op.create_table('schedule_segment',
    sa.Column('event_id', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('start_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('end_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('activity', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.PrimaryKeyConstraint('event_id', 'seq')
    )
    op.create_index('ix_schedule_segment_agent_end', 'schedule_segment', ['centre', 'agentid', 'end_at'],
                    unique=False)
    _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_index('ix_schedule_segment_agent_end', table_name='schedule_segment')
    op.drop_table('schedule_segment')


def _backfill(connection: sa.Connection) -> None:
    """The segments of the schedules already stored, as the projector writes them."""
    event = sa.table('event', sa.column('id'), sa.column('type'), sa.column('centre'), sa.column('agentid'),
                     sa.column('time', sqlmodel.sql.sqltypes.UTCDateTime()), sa.column('body'))
    segment = sa.table('schedule_segment', *(sa.column(name) for name in (
        'event_id', 'seq', 'centre', 'agentid', 'activity')), *(sa.column(name, sqlmodel.sql.sqltypes.UTCDateTime())
                                                                  for name in ('published_at', 'start_at', 'end_at')))
    query = sa.select(event.c.id, event.c.centre, event.c.agentid, event.c.time, event.c.body).where(
        event.c.type == 'schedule.published', event.c.agentid.is_not(None)).execution_options(yield_per=BACKFILL_CHUNK)
    # Streamed a chunk of publications at a time: years of schedules need not fit in memory.
    for publications in connection.execute(query).partitions():
        rows = [{'event_id': event_id, 'seq': seq, 'centre': centre, 'agentid': agentid,
                 'published_at': published_at, 'start_at': _utc(planned['start']),
                 'end_at': _utc(planned['end']), 'activity': planned['activity']}
                for event_id, centre, agentid, published_at, body in publications
                for seq, planned in enumerate(json.loads(body)['data'].get('segments', ()))]
        if rows:
            connection.execute(segment.insert(), rows)


def _utc(moment: str) -> datetime:
    return datetime.fromisoformat(moment).astimezone(UTC)
