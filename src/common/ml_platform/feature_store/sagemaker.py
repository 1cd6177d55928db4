"""SageMaker backend: online through ``sagemaker-featurestore-runtime``, offline from S3.

Feature groups are created by Terraform (``terraform/modules/feature_store``) from the same
spec files; this backend only checks that they exist. The deployed name is
``<group_name_prefix><spec name>``.
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
from ml_platform.feature_store.base import FeatureStore, IngestReport
from ml_platform.feature_store.offline import OfflineLocation
from ml_platform.specs import FeatureGroupSpec, SpecRegistry
from ml_platform.storage import s3_filesystem

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


class SageMakerFeatureStore(FeatureStore):
    """Feature store backed by SageMaker Feature Store (online API + S3 offline store)."""

    name = "sagemaker"

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
        super().__init__(specs)
        self.prefix = group_name_prefix
        self.max_workers = max_workers
        self.max_attempts = max_attempts
        self._session = session or boto3.Session(region_name=region)
        # Throttling is retried here (counted, with a clear final error), not inside botocore.
        config = Config(
            retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=max_workers + 2
        )
        self._runtime = self._session.client("sagemaker-featurestore-runtime", config=config)
        self._control = self._session.client("sagemaker")
        self._descriptions: dict[str, dict] = {}
        self._lock = threading.Lock()

    def deployed_name(self, group: str) -> str:
        return f"{self.prefix}{group}"

    def describe(self, group: str) -> dict:
        """``DescribeFeatureGroup`` of the deployed group, cached; a clear error if it is missing."""
        self.specs[group]
        with self._lock:
            if group in self._descriptions:
                return self._descriptions[group]
        name = self.deployed_name(group)
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
            self._descriptions[group] = desc
        return desc

    def offline_location(self, group: str) -> OfflineLocation:
        desc = self.describe(group)
        try:
            uri = desc["OfflineStoreConfig"]["S3StorageConfig"]["ResolvedOutputS3Uri"]
        except KeyError:
            raise FeatureStoreError(
                f"feature group '{self.deployed_name(group)}' has no offline store; enable it in its spec and redeploy"
            ) from None
        parsed = urlparse(uri)
        return OfflineLocation(s3_filesystem(self._session), f"{parsed.netloc}{parsed.path}".rstrip("/"), uri)

    # -- writes -------------------------------------------------------------------------
    def _record(self, spec: FeatureGroupSpec, row: dict[str, Any]) -> list[dict[str, str]]:
        return [
            {"FeatureName": f.name, "ValueAsString": _format_value(row[f.name], f.type)}
            for f in spec.features
            if row[f.name] is not None
        ]

    def _write(self, spec: FeatureGroupSpec, records: pl.DataFrame, write_time: datetime) -> IngestReport:
        """PutRecord per row with bounded concurrency; SageMaker copies them to the offline store."""
        self.describe(spec.name)
        name = self.deployed_name(spec.name)
        started = time.perf_counter()
        total = records.height
        done = 0
        last_log = started
        rows = records.select(spec.feature_names).iter_rows(named=True)

        def put(row: dict[str, Any]) -> None:
            call_with_retry(
                lambda: self._runtime.put_record(FeatureGroupName=name, Record=self._record(spec, row)),
                what=f"PutRecord {name} id={row[spec.record_identifier_feature]!r}",
                max_attempts=self.max_attempts,
            )

        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            pending: set = set()
            for row in rows:
                pending.add(pool.submit(put, row))
                if len(pending) >= self.max_workers * 4:
                    finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                    done += self._settle(finished, name, done, total)
                    if time.perf_counter() - last_log > 5:
                        last_log = time.perf_counter()
                        log.info("%s: %d/%d records put", name, done, total)
            finished, _ = wait(pending)
            done += self._settle(finished, name, done, total)
        return IngestReport(spec.name, done, time.perf_counter() - started)

    @staticmethod
    def _settle(finished: set, name: str, done: int, total: int) -> int:
        for future in finished:
            exc = future.exception()
            if exc is not None:
                message = str(exc) if isinstance(exc, FeatureStoreError) else f"PutRecord failed: {exc}"
                raise FeatureStoreError(
                    f"{name}: ingest stopped after {done} of {total} records: {message}. "
                    "Records already put stay in the store; re-ingesting the file is safe (same event times)."
                ) from exc
        return len(finished)

    # -- online reads -------------------------------------------------------------------
    def _parse(self, spec: FeatureGroupSpec, record: list[dict[str, str]]) -> dict[str, Any]:
        values = {f.name: None for f in spec.features}
        types = {f.name: f.type for f in spec.features}
        for item in record:
            if item["FeatureName"] in types:
                values[item["FeatureName"]] = _to_value(item.get("ValueAsString"), types[item["FeatureName"]])
        return values

    def get_record(self, group: str, record_id: Any) -> dict[str, Any] | None:
        spec = self.specs[group]
        name = self.deployed_name(group)
        response = call_with_retry(
            lambda: self._runtime.get_record(
                FeatureGroupName=name, RecordIdentifierValueAsString=str(record_id)
            ),
            what=f"GetRecord {name}",
            max_attempts=self.max_attempts,
        )
        record = response.get("Record")
        return self._parse(spec, record) if record else None

    def batch_get_records(self, group: str, record_ids: Iterable[Any]) -> dict[Any, dict[str, Any]]:
        """BatchGetRecord in chunks of 100, retrying unprocessed identifiers."""
        spec = self.specs[group]
        name = self.deployed_name(group)
        id_type = spec.id_type
        ids = [str(i) for i in record_ids]
        found: dict[Any, dict[str, Any]] = {}
        for start in range(0, len(ids), BATCH_GET_LIMIT):
            todo = ids[start : start + BATCH_GET_LIMIT]
            for attempt in range(1, self.max_attempts + 1):
                response = call_with_retry(
                    lambda todo=todo: self._runtime.batch_get_record(
                        Identifiers=[{"FeatureGroupName": name, "RecordIdentifiersValueAsString": todo}]
                    ),
                    what=f"BatchGetRecord {name}",
                    max_attempts=self.max_attempts,
                )
                for item in response.get("Records", []):
                    found[_to_value(item["RecordIdentifierValueAsString"], id_type)] = self._parse(
                        spec, item["Record"]
                    )
                errors = response.get("Errors", [])
                if errors:
                    first = errors[0]
                    raise FeatureStoreError(
                        f"BatchGetRecord {name}: {len(errors)} error(s), first for id "
                        f"{first['RecordIdentifierValueAsString']!r}: {first['ErrorCode']}: {first['ErrorMessage']}"
                    )
                todo = [
                    i
                    for u in response.get("UnprocessedIdentifiers", [])
                    for i in u["RecordIdentifiersValueAsString"]
                ]
                if not todo:
                    break
                if attempt == self.max_attempts:
                    raise FeatureStoreError(
                        f"BatchGetRecord {name}: {len(todo)} identifiers still unprocessed after {attempt} attempts"
                    )
                time.sleep(min(5.0, 0.1 * 2**attempt))
        return found
