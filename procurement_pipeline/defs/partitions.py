"""Partitions shared across domains."""

import dagster as dg

# One partition per active SKU, registered by `product_catalog`.
PRODUCTS_PARTITION = "products"
products_partitions = dg.DynamicPartitionsDefinition(name=PRODUCTS_PARTITION)
