"""dim_agent_history: agent attributes valid from/to; surveys attributed through their contact

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

SURVEY_TABLES = ('fact_survey', 'fact_survey_response')


def upgrade() -> None:
    # reports gave every past fact its agent's current team; the history keeps each team
    # valid from the event that set it, and the engine joins the version valid at a fact's time
    op.create_table('dim_agent_history',
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('valid_from', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('valid_to', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('name', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('team', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('site', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('employed', sa.Boolean(), nullable=False),
    sa.Column('joined_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('left_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('centre', 'agentid', 'seq')
    )
    for table in SURVEY_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column('agent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
            batch.add_column(sa.Column('wait_s', sa.Float(), nullable=True))
            batch.add_column(sa.Column('survey_channel', sqlmodel.sql.sqltypes.AutoString(length=16),
                                       nullable=True))
    op.create_index('ix_fact_survey_contact', 'fact_survey', ['centre', 'contactid'], unique=False)
    connection = op.get_bind()
    _backfill_history(connection)
    for table in SURVEY_TABLES:
        _backfill_attribution(connection, table)


def downgrade() -> None:
    op.drop_index('ix_fact_survey_contact', table_name='fact_survey')
    for table in SURVEY_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column('survey_channel')
            batch.drop_column('wait_s')
            batch.drop_column('agent_at')
    op.drop_table('dim_agent_history')


def _backfill_history(connection: sa.Connection) -> None:
    """Versions from the stored dim_agent rows: today's attributes at every time, employed
    from the join to the leave. ``callkpi rebuild`` folds the real history from the events."""
    times = sqlmodel.sql.sqltypes.UTCDateTime()
    agent = sa.table('dim_agent', sa.column('centre'), sa.column('agentid'), sa.column('name'),
                     sa.column('team'), sa.column('site'), sa.column('joined_at', times),
                     sa.column('left_at', times))
    history = sa.table('dim_agent_history', *(sa.column(name) for name in (
        'centre', 'agentid', 'seq', 'name', 'team', 'site', 'employed')),
        *(sa.column(name, times) for name in ('valid_from', 'valid_to', 'joined_at', 'left_at')))
    rows = []
    for row in connection.execute(sa.select(agent)):
        # the moments employment changed, with the state from each on
        changes = [(None, row.joined_at is None, None, None)]
        if row.joined_at is not None:
            changes.append((row.joined_at, True, row.joined_at, None))
        if row.left_at is not None:
            changes.append((row.left_at, False, None, row.left_at))
        for seq, (start, employed, joined_at, left_at) in enumerate(changes):
            end = changes[seq + 1][0] if seq + 1 < len(changes) else None
            rows.append({'centre': row.centre, 'agentid': row.agentid, 'seq': seq, 'name': row.name,
                         'team': row.team, 'site': row.site, 'employed': employed, 'valid_from': start,
                         'valid_to': end, 'joined_at': joined_at, 'left_at': left_at})
    if rows:
        connection.execute(history.insert(), rows)


def _backfill_attribution(connection: sa.Connection, name: str) -> None:
    """The old ``channel`` was the survey's own; the contact's channel and wait replace it."""
    survey = sa.table(name, sa.column('centre'), sa.column('contactid'), sa.column('channel'),
                      sa.column('survey_channel'), sa.column('wait_s'))
    contact = sa.table('fact_contact', sa.column('centre'), sa.column('contactid'), sa.column('channel'),
                       sa.column('wait_s'))

    def of_contact(column: str) -> sa.ScalarSelect:
        return sa.select(contact.c[column]).where(
            contact.c.centre == survey.c.centre, contact.c.contactid == survey.c.contactid).scalar_subquery()

    connection.execute(sa.update(survey).values(
        survey_channel=survey.c.channel, channel=of_contact('channel'), wait_s=of_contact('wait_s')))
