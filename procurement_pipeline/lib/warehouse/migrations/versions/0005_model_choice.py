"""model choice: which candidate each product's model serves and its validation scores

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 12:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: Union[str, Sequence[str], None] = '0004'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('model_registry', schema=None) as batch_op:
        batch_op.add_column(sa.Column('model_name', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('validation', sa.JSON(), nullable=True))


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('model_registry', schema=None) as batch_op:
        batch_op.drop_column('validation')
        batch_op.drop_column('model_name')
