"""survey, case, qa, sale and forecast facts

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('fact_case',
    sa.Column('local_date', sa.Date(), nullable=True),
    sa.Column('local_interval', sa.Integer(), nullable=True),
    sa.Column('local_hour', sa.Integer(), nullable=True),
    sa.Column('local_weekday', sa.Integer(), nullable=True),
    sa.Column('local_week', sa.Date(), nullable=True),
    sa.Column('local_month', sa.Date(), nullable=True),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('caseid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('contactid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('category', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('opened_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('opened_epoch_s', sa.Float(), nullable=True),
    sa.Column('resolved_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('resolution_s', sa.Float(), nullable=True),
    sa.PrimaryKeyConstraint('centre', 'caseid')
    )
    with op.batch_alter_table('fact_case', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fact_case_local_date'), ['local_date'], unique=False)

    op.create_table('fact_forecast_interval',
    sa.Column('local_date', sa.Date(), nullable=True),
    sa.Column('local_interval', sa.Integer(), nullable=True),
    sa.Column('local_hour', sa.Integer(), nullable=True),
    sa.Column('local_weekday', sa.Integer(), nullable=True),
    sa.Column('local_week', sa.Date(), nullable=True),
    sa.Column('local_month', sa.Date(), nullable=True),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('interval_start', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('offered', sa.Float(), nullable=False),
    sa.Column('aht_s', sa.Float(), nullable=False),
    sa.Column('published_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('centre', 'queue', 'interval_start')
    )
    with op.batch_alter_table('fact_forecast_interval', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fact_forecast_interval_local_date'), ['local_date'], unique=False)

    op.create_table('fact_qa_evaluation',
    sa.Column('local_date', sa.Date(), nullable=True),
    sa.Column('local_interval', sa.Integer(), nullable=True),
    sa.Column('local_hour', sa.Integer(), nullable=True),
    sa.Column('local_weekday', sa.Integer(), nullable=True),
    sa.Column('local_week', sa.Date(), nullable=True),
    sa.Column('local_month', sa.Date(), nullable=True),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('evaluationid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('contactid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('form', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('score', sa.Float(), nullable=False),
    sa.Column('max_score', sa.Float(), nullable=False),
    sa.Column('evaluated_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('centre', 'evaluationid')
    )
    with op.batch_alter_table('fact_qa_evaluation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fact_qa_evaluation_local_date'), ['local_date'], unique=False)

    op.create_table('fact_sale',
    sa.Column('local_date', sa.Date(), nullable=True),
    sa.Column('local_interval', sa.Integer(), nullable=True),
    sa.Column('local_hour', sa.Integer(), nullable=True),
    sa.Column('local_weekday', sa.Integer(), nullable=True),
    sa.Column('local_week', sa.Date(), nullable=True),
    sa.Column('local_month', sa.Date(), nullable=True),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('saleid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('contactid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('amount', sa.Float(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('cross_sell', sa.Boolean(), nullable=False),
    sa.Column('sold_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('centre', 'saleid')
    )
    with op.batch_alter_table('fact_sale', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fact_sale_local_date'), ['local_date'], unique=False)

    op.create_table('fact_survey',
    sa.Column('local_date', sa.Date(), nullable=True),
    sa.Column('local_interval', sa.Integer(), nullable=True),
    sa.Column('local_hour', sa.Integer(), nullable=True),
    sa.Column('local_weekday', sa.Integer(), nullable=True),
    sa.Column('local_week', sa.Date(), nullable=True),
    sa.Column('local_month', sa.Date(), nullable=True),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('surveyid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('contactid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True),
    sa.Column('scheduled_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('sent_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('delivered_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('failed_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('expired_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('opted_out', sa.Boolean(), nullable=False),
    sa.Column('responses', sa.Integer(), nullable=False),
    sa.Column('first_response_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('centre', 'surveyid')
    )
    with op.batch_alter_table('fact_survey', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fact_survey_local_date'), ['local_date'], unique=False)

    op.create_table('fact_survey_response',
    sa.Column('local_date', sa.Date(), nullable=True),
    sa.Column('local_interval', sa.Integer(), nullable=True),
    sa.Column('local_hour', sa.Integer(), nullable=True),
    sa.Column('local_weekday', sa.Integer(), nullable=True),
    sa.Column('local_week', sa.Date(), nullable=True),
    sa.Column('local_month', sa.Date(), nullable=True),
    sa.Column('centre', sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
    sa.Column('surveyid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
    sa.Column('instrument', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
    sa.Column('contactid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('agentid', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('queue', sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True),
    sa.Column('channel', sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True),
    sa.Column('language', sqlmodel.sql.sqltypes.AutoString(length=35), nullable=True),
    sa.Column('scale', sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
    sa.Column('score', sa.Float(), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('responded_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
    sa.Column('followed_up_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.PrimaryKeyConstraint('centre', 'surveyid', 'instrument')
    )
    with op.batch_alter_table('fact_survey_response', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_fact_survey_response_local_date'), ['local_date'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('fact_survey_response', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fact_survey_response_local_date'))

    op.drop_table('fact_survey_response')
    with op.batch_alter_table('fact_survey', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fact_survey_local_date'))

    op.drop_table('fact_survey')
    with op.batch_alter_table('fact_sale', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fact_sale_local_date'))

    op.drop_table('fact_sale')
    with op.batch_alter_table('fact_qa_evaluation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fact_qa_evaluation_local_date'))

    op.drop_table('fact_qa_evaluation')
    with op.batch_alter_table('fact_forecast_interval', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fact_forecast_interval_local_date'))

    op.drop_table('fact_forecast_interval')
    with op.batch_alter_table('fact_case', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_fact_case_local_date'))

    op.drop_table('fact_case')
