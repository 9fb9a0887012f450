"""history fingerprints: what each model was trained on, compared by content

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: Union[str, Sequence[str], None] = '0003'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    op.create_table('history_fingerprints',
    sa.Column('sku', sa.String(length=64), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('days', sa.Integer(), nullable=False),
    sa.Column('last_day', sa.Date(), nullable=False),
    sa.Column('built_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['sku'], ['products.sku'], name=op.f('fk_history_fingerprints_sku_products')),
    sa.PrimaryKeyConstraint('sku', name=op.f('pk_history_fingerprints')),
    mysql_charset='utf8mb4',
    mysql_collate='utf8mb4_unicode_ci',
    mysql_engine='InnoDB'
    )
    with op.batch_alter_table('model_registry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('history_fingerprint', sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('model_registry', schema=None) as batch_op:
        batch_op.drop_column('history_fingerprint')
    op.drop_table('history_fingerprints')
