"""Feature store: :class:`FeatureStore` over two small backend interfaces (online, offline), two
backends (local, SageMaker), and point-in-time queries shared by both (``queries``)."""

from __future__ import annotations

from ml_platform.config import FeatureStoreSettings
from ml_platform.feature_store.interfaces import IngestReport, OfflineStore, OnlineStore
from ml_platform.feature_store.store import FeatureStore
from ml_platform.specs import SpecRegistry

__all__ = ["FeatureStore", "IngestReport", "OfflineStore", "OnlineStore", "open_feature_store"]


def open_feature_store(settings: FeatureStoreSettings, specs: SpecRegistry | None = None) -> FeatureStore:
    """The backend named by ``settings.backend``, holding the groups of ``settings.specs_dir``."""
    specs = specs or SpecRegistry.from_directory(settings.specs_dir)
    if settings.backend == "sagemaker":
        from ml_platform.feature_store.sagemaker import SageMakerFeatureStore  # boto3 only when used

        return SageMakerFeatureStore(
            specs,
            group_name_prefix=settings.group_name_prefix,
            region=settings.region,
            max_workers=settings.max_workers,
            max_attempts=settings.max_attempts,
        )
    from ml_platform.feature_store.local import LocalFeatureStore

    return LocalFeatureStore(specs, settings.local_root)
