"""Kernel tables: plugin state, capability instances, plugin failures, settings.

Revision ID: 2859f45fc163
Revises: 
Create Date: 2026-11-26 21:39:58.341349
"""

from alembic import op
import sqlalchemy as sa


revision = '2859f45fc163'
down_revision = None
branch_labels = ('xtycore',)
depends_on = None


def upgrade():
    op.create_table('xty_capability_instance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('type_code', sa.String(length=64), nullable=False),
    sa.Column('display_name', sa.String(length=200), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('settings', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('payment', 'courier', 'promotion', 'support')", name=op.f('ck_xty_capability_instance_kind')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xty_capability_instance'))
    )
    with op.batch_alter_table('xty_capability_instance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xty_capability_instance_kind'), ['kind'], unique=False)

    op.create_table('xty_kernel_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('generation', sa.Integer(), nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_xty_kernel_state_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xty_kernel_state'))
    )
    op.bulk_insert(
        sa.table('xty_kernel_state', sa.column('id', sa.Integer), sa.column('generation', sa.Integer)),
        [{'id': 1, 'generation': 1}],
    )
    op.create_table('xty_plugin_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plugin', sa.String(length=100), nullable=False),
    sa.Column('call', sa.String(length=200), nullable=False),
    sa.Column('policy', sa.String(length=10), nullable=False),
    sa.Column('error_type', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('traceback', sa.Text(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_xty_plugin_failure'))
    )
    with op.batch_alter_table('xty_plugin_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_xty_plugin_failure_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_xty_plugin_failure_plugin'), ['plugin'], unique=False)

    op.create_table('xty_plugin_state',
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('changed_by', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_xty_plugin_state'))
    )
    op.create_table('xty_setting',
    sa.Column('key', sa.String(length=200), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_xty_setting'))
    )


def downgrade():
    op.drop_table('xty_setting')
    op.drop_table('xty_plugin_state')
    with op.batch_alter_table('xty_plugin_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xty_plugin_failure_plugin'))
        batch_op.drop_index(batch_op.f('ix_xty_plugin_failure_occurred_at'))

    op.drop_table('xty_plugin_failure')
    op.drop_table('xty_kernel_state')
    with op.batch_alter_table('xty_capability_instance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_xty_capability_instance_kind'))

    op.drop_table('xty_capability_instance')
