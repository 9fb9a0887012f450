"""Publishing trained models: model files and warehouse rows that never disagree.

1. The files are written first, under names of the training run's own
   (``lib.artifacts.new_training_id``): no file any row points to is ever overwritten.
2. One warehouse transaction records the training and points the rows at the new files: until
   it commits, every row still points to the file of the model its metrics and forecasts
   describe; from its commit on, to the new one.
3. After the commit, the files the transaction superseded are removed (nothing points to them).

A run that dies before 2 commits leaves only files no row points to, and one that dies between
2 and 3 leaves superseded files: :func:`sweep_model_files` (run after every publication)
removes such leftovers once they are older than ``artifacts.UNREFERENCED_MIN_AGE_S``, which
the files of a training still on its way to its commit never are.

Two trainings of the same products at once each write their own files; their transactions
serialize, and the second to commit removes the first one's files (it replaced those rows).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

import pandas as pd
from sqlalchemy import Engine

from procurement_pipeline.lib import artifacts
from procurement_pipeline.lib.artifacts import ArtifactStore
from procurement_pipeline.lib.forecasting.training import TrainingResult, save_model_atomic
from procurement_pipeline.lib.warehouse.forecasts import (
    referenced_artifacts,
    store_global_model,
    store_product_results,
)


class PublishedProducts(NamedTuple):
    training_id: str
    paths: dict[str, str]  # sku -> model file of this training (relative to the store)
    removed: list[str]  # superseded model files removed after the commit


class PublishedGlobal(NamedTuple):
    training_id: str
    model_id: int
    model_path: str | None  # None when no model was trained (skipped, failed)
    metadata_path: str
    removed: list[str]


def publish_product_models(
    engine: Engine,
    store: ArtifactStore,
    results: Sequence[TrainingResult],
    trained_at: datetime,
    history_fingerprints: Mapping[str, str] | None = None,
    *,
    training_id: str | None = None,
) -> PublishedProducts:
    """Write the trained products' model files, then store every result (registry rows and
    forecasts, ``store_product_results``) pointing at them, then remove the superseded files."""
    training_id = training_id or artifacts.new_training_id(trained_at)
    paths: dict[str, str] = {}
    for result in results:
        if result.status == "trained" and result.model_json:
            paths[result.sku] = artifacts.product_model_path(result.sku, training_id)
            save_model_atomic(result.model_json, store.path(paths[result.sku]))
    superseded = store_product_results(engine, results, paths, trained_at, history_fingerprints)
    return PublishedProducts(training_id, paths, store.remove(superseded))


def publish_global_model(
    engine: Engine,
    store: ArtifactStore,
    result: TrainingResult,
    index: pd.DataFrame,
    metadata: Mapping[str, Any],
    *,
    products: int,
    trained_at: datetime,
    training_id: str | None = None,
) -> PublishedGlobal:
    """Write the global model file (when trained) and its global_metadata.json (``metadata``
    plus the model's path), then the global_models row pointing at both, then remove the
    files of the models it superseded."""
    training_id = training_id or artifacts.new_training_id(trained_at)
    model_path = None
    if result.model_json:
        model_path = artifacts.global_model_path(training_id)
        save_model_atomic(result.model_json, store.path(model_path))
    metadata_path = artifacts.global_metadata_path(training_id)
    store.write_json(
        metadata_path, {**metadata, "training_id": training_id, "model_path": model_path}
    )
    stored = store_global_model(
        engine,
        result,
        index,
        products=products,
        trained_at=trained_at,
        artifact_path=model_path,
        metadata_path=metadata_path,
    )
    return PublishedGlobal(
        training_id, stored.model_id, model_path, metadata_path, store.remove(stored.superseded)
    )


def sweep_model_files(
    engine: Engine, store: ArtifactStore, *, min_age_s: float = artifacts.UNREFERENCED_MIN_AGE_S
) -> list[str]:
    """Remove model files (product and global folders) no warehouse row points to and older
    than ``min_age_s``: what crashed or interrupted trainings left. Returns what was removed."""
    return artifacts.sweep_unreferenced(
        store, referenced_artifacts(engine), artifacts.MODEL_FOLDERS, min_age_s=min_age_s
    )
