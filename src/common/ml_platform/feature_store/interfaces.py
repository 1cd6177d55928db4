"""The two small interfaces every feature store backend implements, after Feast's
``OnlineStore`` / ``OfflineStore`` split.

* :class:`OnlineStore`: where validated records are written and the latest record of an id is
  served (write, get, batch get, delete). In SageMaker the service copies every record it
  accepts to the offline store; the local backend writes both copies in one transaction.
* :class:`OfflineStore`: where a group's offline records are. Every backend keeps the same
  Parquet layout (``offline.py``), so reading them, and every point-in-time query over them
  (``queries.py``), is shared code that knows only an :class:`OfflineLocation`.

Backends take a :class:`FeatureGroupSpec`, never a registry: which groups exist is the
caller's concern (:class:`~ml_platform.feature_store.store.FeatureStore`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import polars as pl

from ml_platform.feature_store.offline import OfflineLocation
from ml_platform.specs import FeatureGroupSpec


@dataclass(frozen=True)
class IngestReport:
    feature_group: str
    rows: int
    seconds: float
    offline_files: int = 0


class OnlineStore(ABC):
    """Writes records and serves each id's latest one."""

    name: str = "abstract"

    @abstractmethod
    def write(self, spec: FeatureGroupSpec, records: pl.DataFrame, write_time: datetime) -> IngestReport:
        """Write records already checked by ``validate_records`` (all or, locally, nothing)."""

    @abstractmethod
    def get_record(self, spec: FeatureGroupSpec, record_id: Any) -> dict[str, Any] | None:
        """The latest unexpired record of ``record_id``, or None."""

    @abstractmethod
    def batch_get_records(
        self, spec: FeatureGroupSpec, record_ids: Iterable[Any]
    ) -> dict[Any, dict[str, Any]]:
        """Latest records by id; ids without a record are absent from the result."""

    @abstractmethod
    def delete_record(self, spec: FeatureGroupSpec, record_id: Any, event_time: datetime) -> None:
        """SageMaker's soft delete: the record leaves the online store, the offline store gets an
        ``is_deleted`` marker at ``event_time``."""


class OfflineStore(ABC):
    """Resolves where a group's offline records are."""

    @abstractmethod
    def location(self, spec: FeatureGroupSpec, *, create: bool = False) -> OfflineLocation:
        """The group's offline location (SageMaker's ``ResolvedOutputS3Uri``).

        ``create`` registers a group that does not exist yet where the backend can (locally);
        in SageMaker groups come from Terraform and a missing one is an error either way.
        """
