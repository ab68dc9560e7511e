"""agent_open_episode, fact_agent_open_interval, centre_data_end: agents' still-open episodes

Revision ID: 0011
Revises: 0010
"""

import json
from datetime import datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

DEFAULT_BREAK_REASONS = ('break', 'lunch', 'coffee', 'rest')


def upgrade() -> None:
    # the last state episode of a logged-in agent counted nothing until its end arrived;
    # these tables count it up to the centre's data end (callkpi.projector.open_episodes)
    op.create_table('agent_open_episode',
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('state', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('started_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('is_break', sa.Boolean(), nullable=False),
    sa.Column('counted_to', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('centre', 'agentid')
    )
    op.create_table('fact_agent_open_interval',
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
    sa.PrimaryKeyConstraint('centre', 'agentid', 'interval_start')
    )
    op.create_index('ix_fact_agent_open_interval_local_date_centre', 'fact_agent_open_interval',
                    ['local_date', 'centre'], unique=False)
    op.create_table('centre_data_end',
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('data_end', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('centre')
    )
    _backfill(op.get_bind())


def downgrade() -> None:
    op.drop_table('centre_data_end')
    op.drop_index('ix_fact_agent_open_interval_local_date_centre', table_name='fact_agent_open_interval')
    op.drop_table('fact_agent_open_interval')
    op.drop_table('agent_open_episode')


def _backfill(connection: sa.Connection) -> None:
    """Each centre's data end and each agent's open episode from the stored events, as the
    projector records them; their time is counted by the first report's refresh."""
    utc_time = sqlmodel.sql.sqltypes.UTCDateTime()
    event = sa.table('event', sa.column('id'), sa.column('type'), sa.column('centre'), sa.column('agentid'),
                     sa.column('time', utc_time), sa.column('body'))
    data_end = sa.table('centre_data_end', sa.column('centre'), sa.column('data_end', utc_time))
    episode = sa.table('agent_open_episode', *(sa.column(name) for name in ('centre', 'agentid', 'state', 'is_break')),
                       sa.column('started_at', utc_time), sa.column('counted_to', utc_time))
    state = event.c.type == 'agent.state_changed'
    ends = connection.execute(sa.select(event.c.centre, sa.func.max(event.c.time)).where(
        sa.or_(state, event.c.type.like('contact.%'))).group_by(event.c.centre)).all()
    if ends:
        connection.execute(data_end.insert(), [{'centre': c, 'data_end': end} for c, end in ends])
    latest = sa.select(event.c.centre, event.c.agentid, sa.func.max(event.c.time).label('time')).where(
        state, event.c.agentid.is_not(None)).group_by(event.c.centre, event.c.agentid).subquery()
    query = sa.select(event.c.centre, event.c.agentid, event.c.id, event.c.time, event.c.body).join(
        latest, sa.and_(event.c.centre == latest.c.centre, event.c.agentid == latest.c.agentid,
                        event.c.time == latest.c.time)).where(state)
    last: dict[tuple[str, str], tuple[str, datetime, dict]] = {}
    for centre, agentid, event_id, time, body in connection.execute(query):
        key = (centre, agentid)
        if key not in last or event_id > last[key][0]:  # ties in time: the greatest id is the latest
            last[key] = (event_id, time, json.loads(body)['data'])
    reasons = _break_reasons(connection)
    rows = [{'centre': centre, 'agentid': agentid, 'state': data['state'], 'started_at': time,
             'is_break': _is_break(data, reasons.get(centre, DEFAULT_BREAK_REASONS)), 'counted_to': None}
            for (centre, agentid), (_, time, data) in last.items() if data['state'] != 'logged_out']
    if rows:
        connection.execute(episode.insert(), rows)


def _break_reasons(connection: sa.Connection) -> dict[str, tuple[str, ...]]:
    centre = sa.table('centre', sa.column('name'), sa.column('settings'))
    found = {}
    for name, settings in connection.execute(sa.select(centre.c.name, centre.c.settings)):
        reasons = json.loads(settings or '{}').get('break_reasons')
        found[name] = tuple(reasons) if reasons is not None else DEFAULT_BREAK_REASONS
    return found


def _is_break(data: dict, reasons: tuple[str, ...]) -> bool:
    if data['state'] != 'not_ready':
        return False
    if data.get('is_break') is not None:
        return bool(data['is_break'])
    return (data.get('reason') or '').casefold() in {reason.casefold() for reason in reasons}
