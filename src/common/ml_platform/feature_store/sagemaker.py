"""SageMaker backend: online through ``sagemaker-featurestore-runtime``, offline from S3.

Feature groups are created by Terraform (``terraform/modules/feature_store``) from the same
spec files; this backend only checks that they exist. The deployed name is
``<group_name_prefix><spec name>``. API pages:
https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_Operations_Amazon_SageMaker_Feature_Store_Runtime.html
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

import boto3
import polars as pl
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ml_platform.errors import FeatureStoreError
from ml_platform.feature_store.interfaces import IngestReport, OfflineStore, OnlineStore
from ml_platform.feature_store.offline import OfflineLocation
from ml_platform.feature_store.store import FeatureStore
from ml_platform.specs import FeatureGroupSpec, SpecRegistry
from ml_platform.storage import s3_filesystem
from ml_platform.timeutil import format_event_time

log = logging.getLogger(__name__)

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "TooManyRequestsException",
        "ServiceUnavailable",
    }
)
BATCH_GET_LIMIT = 100


def call_with_retry(
    call: Callable[[], Any], *, what: str, max_attempts: int, base_delay: float = 0.1, max_delay: float = 5.0
) -> Any:
    """Run ``call``, retrying throttling errors with capped exponential backoff and jitter."""
    for attempt in range(1, max_attempts + 1):
        try:
            return call()
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code not in THROTTLING_CODES:
                raise
            if attempt == max_attempts:
                raise FeatureStoreError(
                    f"{what}: still throttled by SageMaker ({code}) after {max_attempts} attempts; "
                    "lower MLP_FEATURE_STORE_MAX_WORKERS or raise MLP_FEATURE_STORE_MAX_ATTEMPTS"
                ) from exc
            delay = min(max_delay, base_delay * 2 ** (attempt - 1))
            time.sleep(delay * random.uniform(0.5, 1.0))
    raise AssertionError("unreachable")


def _to_value(raw: str | None, ftype: str) -> Any:
    if raw is None:
        return None
    if ftype == "Integral":
        return int(raw)
    if ftype == "Fractional":
        return float(raw)
    return raw


def _format_value(value: Any, ftype: str) -> str:
    if ftype == "Fractional":
        return repr(float(value))
    return str(value)


class DeployedGroups:
    """The deployed feature groups: their names and cached ``DescribeFeatureGroup`` answers."""

    def __init__(self, control: Any, prefix: str):
        self._control = control
        self.prefix = prefix
        self._descriptions: dict[str, dict] = {}
        self._lock = threading.Lock()

    def name(self, spec: FeatureGroupSpec) -> str:
        return f"{self.prefix}{spec.name}"

    def describe(self, spec: FeatureGroupSpec) -> dict:
        """``DescribeFeatureGroup`` of the deployed group, cached; a clear error if it is missing."""
        with self._lock:
            if spec.name in self._descriptions:
                return self._descriptions[spec.name]
        name = self.name(spec)
        try:
            desc = self._control.describe_feature_group(FeatureGroupName=name)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            raise FeatureStoreError(
                f"feature group '{name}' could not be described ({code or exc}); "
                "check that it was deployed (terraform apply), MLP_FEATURE_GROUP_PREFIX and the AWS region"
            ) from exc
        except BotoCoreError as exc:
            raise FeatureStoreError(f"feature group '{name}': cannot reach SageMaker: {exc}") from exc
        with self._lock:
            self._descriptions[spec.name] = desc
        return desc


class SageMakerOfflineStore(OfflineStore):
    """The S3 location SageMaker resolved for each group's offline store."""

    def __init__(self, groups: DeployedGroups, session: boto3.Session):
        self.groups = groups
        self._session = session

    def location(self, spec: FeatureGroupSpec, *, create: bool = False) -> OfflineLocation:
        desc = self.groups.describe(spec)
        try:
            uri = desc["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"]
        except KeyError:
            raise FeatureStoreError(
                f"feature group '{self.groups.name(spec)}' has no offline store; enable it in its spec and redeploy"
            ) from None
        parsed = urlparse(uri)
        return OfflineLocation(s3_filesystem(self._session), f"{parsed.netloc}{parsed.path}".rstrip("/"), uri)


class SageMakerOnlineStore(OnlineStore):
    """``sagemaker-featurestore-runtime``: PutRecord, GetRecord, BatchGetRecord, DeleteRecord."""

    name = "sagemaker"

    def __init__(self, runtime: Any, groups: DeployedGroups, *, max_workers: int = 8, max_attempts: int = 6):
        self._runtime = runtime
        self.groups = groups
        self.max_workers = max_workers
        self.max_attempts = max_attempts

    def _call(self, call: Callable[[], Any], what: str) -> Any:
        return call_with_retry(call, what=what, max_attempts=self.max_attempts)

    # -- writes -------------------------------------------------------------------------
    @staticmethod
    def _record(spec: FeatureGroupSpec, row: dict[str, Any]) -> list[dict[str, str]]:
        return [
            {"FeatureName": f.name, "ValueAsString": _format_value(row[f.name], f.type)}
            for f in spec.features
            if row[f.name] is not None
        ]

    def write(self, spec: FeatureGroupSpec, records: pl.DataFrame, write_time: datetime) -> IngestReport:
        """PutRecord per row with bounded concurrency; SageMaker copies them to the offline store."""
        self.groups.describe(spec)
        name = self.groups.name(spec)
        started = time.perf_counter()
        progress = _Progress(name, records.height)

        def put(row: dict[str, Any]) -> None:
            self._call(
                lambda: self._runtime.put_record(FeatureGroupName=name, Record=self._record(spec, row)),
                f"PutRecord {name} id={row[spec.record_identifier_feature]!r}",
            )

        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            pending: set = set()
            for row in records.select(spec.feature_names).iter_rows(named=True):
                pending.add(pool.submit(put, row))
                if len(pending) >= self.max_workers * 4:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    progress.settle(finished)
            progress.settle(wait(pending)[0])
        return IngestReport(spec.name, progress.done, time.perf_counter() - started)

    def delete_record(self, spec: FeatureGroupSpec, record_id: Any, event_time: datetime) -> None:
        """DeleteRecord (SoftDelete): SageMaker appends the ``is_deleted`` marker offline itself
        (https://docs.aws.amazon.com/sagemaker/latest/APIReference/API_feature_store_DeleteRecord.html)."""
        name = self.groups.name(spec)
        self._call(
            lambda: self._runtime.delete_record(
                FeatureGroupName=name,
                RecordIdentifierValueAsString=str(record_id),
                EventTime=format_event_time(event_time),
            ),
            f"DeleteRecord {name}",
        )

    # -- online reads -------------------------------------------------------------------
    @staticmethod
    def _parse(spec: FeatureGroupSpec, record: list[dict[str, str]]) -> dict[str, Any]:
        values: dict[str, Any] = {f.name: None for f in spec.features}
        types = {f.name: f.type for f in spec.features}
        for item in record:
            if item["FeatureName"] in types:
                values[item["FeatureName"]] = _to_value(item.get("ValueAsString"), types[item["FeatureName"]])
        return values

    def get_record(self, spec: FeatureGroupSpec, record_id: Any) -> dict[str, Any] | None:
        name = self.groups.name(spec)
        response = self._call(
            lambda: self._runtime.get_record(
                FeatureGroupName=name, RecordIdentifierValueAsString=str(record_id)
            ),
            f"GetRecord {name}",
        )
        record = response.get("Record")
        return self._parse(spec, record) if record else None

    def batch_get_records(
        self, spec: FeatureGroupSpec, record_ids: Iterable[Any]
    ) -> dict[Any, dict[str, Any]]:
        """BatchGetRecord in chunks of 100, retrying unprocessed identifiers."""
        ids = [str(i) for i in record_ids]
        found: dict[Any, dict[str, Any]] = {}
        for start in range(0, len(ids), BATCH_GET_LIMIT):
            found.update(self._batch(spec, ids[start : start + BATCH_GET_LIMIT]))
        return found

    def _batch(self, spec: FeatureGroupSpec, todo: list[str]) -> dict[Any, dict[str, Any]]:
        name = self.groups.name(spec)
        found: dict[Any, dict[str, Any]] = {}
        for attempt in range(1, self.max_attempts + 1):
            response = self._call(
                lambda todo=todo: self._runtime.batch_get_record(
                    Identifiers=[{"FeatureGroupName": name, "RecordIdentifiersValueAsString": todo}]
                ),
                f"BatchGetRecord {name}",
            )
            for item in response.get("Records", []):
                found[_to_value(item["RecordIdentifierValueAsString"], spec.id_type)] = self._parse(
                    spec, item["Record"]
                )
            _raise_batch_errors(name, response.get("Errors", []))
            todo = [
                i
                for u in response.get("UnprocessedIdentifiers", [])
                for i in u["RecordIdentifiersValueAsString"]
            ]
            if not todo:
                return found
            if attempt < self.max_attempts:
                time.sleep(min(5.0, 0.1 * 2**attempt))
        raise FeatureStoreError(
            f"BatchGetRecord {name}: {len(todo)} identifiers still unprocessed after {self.max_attempts} attempts"
        )


def _raise_batch_errors(name: str, errors: list[dict[str, str]]) -> None:
    if errors:
        first = errors[0]
        raise FeatureStoreError(
            f"BatchGetRecord {name}: {len(errors)} error(s), first for id "
            f"{first['RecordIdentifierValueAsString']!r}: {first['ErrorCode']}: {first['ErrorMessage']}"
        )


class _Progress:
    """Counts finished PutRecord calls, logs every 5 s and stops at the first failure."""

    def __init__(self, name: str, total: int):
        self.name, self.total, self.done = name, total, 0
        self._last_log = time.perf_counter()

    def settle(self, finished: set) -> None:
        for future in finished:
            exc = future.exception()
            if exc is not None:
                message = str(exc) if isinstance(exc, FeatureStoreError) else f"PutRecord failed: {exc}"
                raise FeatureStoreError(
                    f"{self.name}: ingest stopped after {self.done} of {self.total} records: {message}. "
                    "Records already put stay in the store; re-ingesting the file is safe (same event times)."
                ) from exc
        self.done += len(finished)
        if time.perf_counter() - self._last_log > 5:
            self._last_log = time.perf_counter()
            log.info("%s: %d/%d records put", self.name, self.done, self.total)


class SageMakerFeatureStore(FeatureStore):
    """Feature store backed by SageMaker Feature Store (online API + S3 offline store)."""

    def __init__(
        self,
        specs: SpecRegistry,
        *,
        group_name_prefix: str = "",
        region: str | None = None,
        max_workers: int = 8,
        max_attempts: int = 6,
        session: boto3.Session | None = None,
    ):
        session = session or boto3.Session(region_name=region)
        # Throttling is retried here (counted, with a clear final error), not inside botocore.
        config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=max_workers + 2
        )
        groups = DeployedGroups(session.client("sagemaker"), group_name_prefix)
        online = SageMakerOnlineStore(
            session.client("sagemaker-featurestore-runtime", config=config),
            groups,
            max_workers=max_workers,
            max_attempts=max_attempts,
        )
        super().__init__(specs, online, SageMakerOfflineStore(groups, session))
