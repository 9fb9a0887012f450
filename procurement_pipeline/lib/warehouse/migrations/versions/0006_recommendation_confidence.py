"""recommendation confidence: low for advice without a consumption history

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 13:00:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision: str = '0006'
down_revision: Union[str, Sequence[str], None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    """Upgrade schema."""
    with op.batch_alter_table('purchase_recommendations', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('confidence', sa.String(length=8), server_default='normal', nullable=False)
        )


def downgrade() -> None:
    """Downgrade schema."""
    with op.batch_alter_table('purchase_recommendations', schema=None) as batch_op:
        batch_op.drop_column('confidence')
