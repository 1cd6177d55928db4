"""The batch inference job as plain functions: checks -> model -> features -> score -> Kafka -> report."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

import polars as pl

import ml_platform.onnx_scoring  # noqa: F401  (onnxruntime, imported while the model_registry child works)
from ml_inference import STARTED_AT
from ml_inference.archive import ArchiveWriter
from ml_inference.kafka_io import AcknowledgedPublisher, KafkaHealthChecker, client_config, redacted
from ml_inference.metrics import run_metrics
from ml_inference.model_loader import LoadedModel, ModelFetch, log_drift_run
from ml_inference.population import ScoringFrame, scoring_frame
from ml_inference.read_ahead import read_ahead
from ml_inference.settings import InferenceSettings
from ml_platform import drift
from ml_platform.cloudwatch import put_metrics
from ml_platform.config import FeatureStoreSettings
from ml_platform.container import ProcessingPaths, ResourceConfig
from ml_platform.errors import MLPlatformError
from ml_platform.feature_store import open_feature_store
from ml_platform.feature_store.queries import OfflineRecords
from ml_platform.memory import peak_rss_mb
from ml_platform.model_input import model_features, onnx_feed
from ml_platform.storage import read_table

log = logging.getLogger(__name__)
SCHEMA_VERSION = 1


class InferenceError(MLPlatformError):
    """The run cannot be completed (empty population, too many skipped, unacknowledged messages)."""


@dataclass
class RunReport:
    status: str
    model_name: str
    model_version: str
    topic: str
    shard: str
    features_as_of: str
    rows_read: int = 0
    scored: int = 0
    skipped_missing: int = 0
    skipped_expired: int = 0
    produced: int = 0
    acknowledged: int = 0
    failed: int = 0
    not_acknowledged: int = 0
    seconds: float = 0.0
    messages_per_second: float = 0.0
    model_ready_s: float = 0.0  # from process start (first import of ml_inference) to model loaded
    features_s: float = 0.0  # reading the population and its latest features
    publish_s: float = 0.0  # scoring, producing and waiting for every acknowledgement
    peak_rss_mb: float = 0.0  # this process's peak memory (the model's registry child not included)
    # Feature drift of the scored population against the training rows: ok, warn, fail, or
    # not_checked (a model without a reference profile), too_few_rows (PSI is noise on a handful
    # of rows: fewer than the spec's min_rows); per feature in ``drift``.
    drift_status: str = "not_checked"
    drift: dict[str, dict] = field(default_factory=dict)
    drift_run_id: str = ""  # the MLflow run of the drift figures, nested under the training run
    archive_uri: str = ""  # the prediction archive's file of this shard (ml_inference.archive)
    archived: int = 0
    error: str = ""


def message_values(
    keys: pl.DataFrame,
    scores,
    *,
    threshold: float,
    model_name: str,
    model_version: str,
    run_id: str,
    features_as_of: str,
    scored_at: str,
) -> pl.DataFrame:
    """Kafka keys and JSON values for one batch, built column-wise (with the score and label
    as columns too, for the prediction archive).

    The key is the entity's key value, or its key values joined by '|' (in the spec's key
    order) when the model has several; the value then also carries them by name.
    """
    columns = keys.columns
    entity_id = pl.concat_str([pl.col(c).cast(pl.Utf8) for c in columns], separator="|")
    score = pl.Series("score", scores)
    frame = keys.with_columns(
        entity_id.alias("entity_id"),
        score.round(6),
        (score >= threshold).cast(pl.Int8).alias("predicted_label"),
    )
    fields = [pl.lit(SCHEMA_VERSION).alias("schema_version"), pl.col("entity_id")]
    if len(columns) > 1:
        fields.append(pl.struct(columns).alias("keys"))
    value = pl.struct(
        *fields,
        pl.col("score"),
        pl.col("predicted_label"),
        pl.lit(model_name).alias("model_name"),
        pl.lit(model_version).alias("model_version"),
        pl.lit(run_id).alias("mlflow_run_id"),
        pl.lit(features_as_of).alias("features_as_of"),
        pl.lit(scored_at).alias("scored_at"),
    ).struct.json_encode()
    return frame.select(pl.col("entity_id").alias("key"), value.alias("value"), "score", "predicted_label")


def _chunks(anchor_rows: int, instances: int, settings: InferenceSettings) -> int:
    """Passes needed for this instance's share of ``anchor_rows`` at ``chunk_rows`` each."""
    return max(1, -(-anchor_rows // (instances * settings.chunk_rows)))


def _entity_list(settings: InferenceSettings, key_columns: list[str]) -> pl.DataFrame:
    """The entity list's key columns (every key the model joins on must be there)."""
    entities = read_table(settings.entity_list_uri, what="entity list")
    missing = [c for c in key_columns if c not in entities.columns]
    if missing:
        raise InferenceError(
            f"entity list {settings.entity_list_uri} has no column(s) {', '.join(missing)} "
            f"(columns: {', '.join(entities.columns)}); it needs every key the model joins on: {', '.join(key_columns)}"
        )
    return entities.select(key_columns)


def write_report(paths: ProcessingPaths, report: RunReport) -> None:
    paths.output_dir.mkdir(parents=True, exist_ok=True)
    (paths.output_dir / "run_report.json").write_text(json.dumps(asdict(report), indent=2))


def _counts(frame: ScoringFrame) -> tuple[int, int, int]:
    return frame.population, frame.skipped_missing, frame.skipped_expired


@dataclass
class ScoringPlan:
    """What one run scores: the model, its features and keys, and the passes over the population.

    The population is read and scored in passes of about ``chunk_rows`` ids (disjoint id-hash
    shards of this instance's shard), so memory follows ``chunk_rows``, not the population.
    """

    settings: InferenceSettings
    loaded: LoadedModel
    records: OfflineRecords
    features: list
    join_keys: dict[str, str]
    key_columns: list[str]
    entities: pl.DataFrame | None
    shards: list[tuple[int, int]]
    as_of: datetime

    @classmethod
    def prepare(
        cls, settings: InferenceSettings, loaded: LoadedModel, resources: ResourceConfig, as_of: datetime
    ) -> ScoringPlan:
        store = open_feature_store(FeatureStoreSettings.from_env())
        spec = settings.spec
        join_keys = {**spec.join_keys, **loaded.join_keys}
        key_columns = list(dict.fromkeys(join_keys[g] for g in (spec.anchor_group, *loaded.selection)))
        entities = _entity_list(settings, key_columns) if settings.entity_list_uri else None
        chunks = _chunks(store.offline_rows(spec.anchor_group, end=as_of), resources.count, settings)
        if chunks > 1:
            log.info("scoring in %d passes of about %d ids each (chunk_rows)", chunks, settings.chunk_rows)
        shards = [(resources.index + k * resources.count, resources.count * chunks) for k in range(chunks)]
        features = model_features(store.specs, loaded.selection)
        return cls(settings, loaded, store.records, features, join_keys, key_columns, entities, shards, as_of)

    def frame_of(self, shard: tuple[int, int], groups: Mapping[str, Any]) -> ScoringFrame:
        return scoring_frame(
            self.records,
            groups,
            anchor=self.settings.spec.anchor_group,
            as_of=self.as_of,
            join_keys=self.join_keys,
            entities=self.entities,
            shard=shard,
        )

    def count(self, report: RunReport) -> pl.DataFrame:
        """Read the first pass (and, with several passes, the anchor of the others) and fill the
        report's population counts; returns the first pass's frame."""
        first = self.frame_of(self.shards[0], self.loaded.selection)
        # one anchor read at a time: each is dropped once counted
        counts = [_counts(first), *(_counts(self.frame_of(s, {})) for s in self.shards[1:])]
        report.rows_read, report.skipped_missing, report.skipped_expired = (
            sum(c) for c in zip(*counts, strict=True)
        )
        return first.frame

    def messages(self, first: list[pl.DataFrame], scored_at: str) -> Iterator[pl.DataFrame]:
        """The messages (key, value, score, predicted_label) per batch over every pass; ``first``
        holds the pass already read and is emptied, so one pass is in memory at a time."""
        model, features = self.loaded.model, self.features
        as_of_text = _iso(self.as_of)
        for shard in self.shards:
            frame = first.pop() if first else self.frame_of(shard, self.loaded.selection).frame
            for batch in frame.iter_slices(self.settings.batch_size):
                messages = message_values(
                    batch.select(self.key_columns),
                    model.positive(onnx_feed(batch, features)),
                    threshold=self.settings.threshold,
                    model_name=self.loaded.name,
                    model_version=self.loaded.version,
                    run_id=self.loaded.run_id,
                    features_as_of=as_of_text,
                    scored_at=scored_at,
                )
                yield messages
            del frame  # before the next pass is read


def _iso(ts: datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _connect_kafka(settings: InferenceSettings) -> dict[str, Any]:
    """Connectivity first: nothing is scored when the results cannot be delivered."""
    config = client_config(settings)
    log.info("Kafka settings: %s", redacted(config))
    brokers = KafkaHealthChecker.check_connectivity(config, settings.kafka_connect_timeout_s)
    partitions = KafkaHealthChecker.ensure_topic(
        config,
        settings.kafka_topic,
        create=settings.kafka_create_topic,
        partitions=settings.kafka_topic_partitions,
        timeout=settings.kafka_connect_timeout_s,
    )
    log.info(
        "Kafka: brokers %s, topic %s with %d partitions", ",".join(brokers), settings.kafka_topic, partitions
    )
    return config


def _check_population(report: RunReport, settings: InferenceSettings) -> None:
    population, anchor = report.rows_read, settings.spec.anchor_group
    if population == 0:
        raise InferenceError(
            f"empty population: no ids in {settings.entity_list_uri or anchor} "
            f"as of {report.features_as_of} (shard {report.shard}); check the feature store and as_of"
        )
    skipped = report.skipped_missing + report.skipped_expired
    if skipped / population > settings.max_skipped_share:
        raise InferenceError(
            f"{skipped} of {population} entities skipped ({report.skipped_missing} without features in "
            f"{anchor}, {report.skipped_expired} older than its TTL), more than "
            f"max_skipped_share={settings.max_skipped_share}; check that the feature pipelines are up to date"
        )


def check_drift(plan: ScoringPlan, first: pl.DataFrame, report: RunReport) -> None:
    """Compare the first pass (the population, or a hash sample of chunk_rows ids of it) with the
    model's reference profile; at the spec's fail_psi the run stops before anything is published."""
    spec, profile = plan.settings.spec, plan.loaded.reference_profile
    if profile is None:
        log.warning("%s has no reference profile: feature drift not checked", plan.loaded.uri)
        return
    if first.height < spec.drift_min_rows:
        log.info(
            "%d rows, fewer than monitoring.drift.min_rows=%d: drift not checked",
            first.height,
            spec.drift_min_rows,
        )
        report.drift_status = "too_few_rows"
        return
    found = drift.compare(profile, first, plan.features, warn=spec.drift_warn_psi, fail=spec.drift_fail_psi)
    report.drift = {d.feature: {k: v for k, v in d.as_dict().items() if k != "feature"} for d in found}
    statuses = {d.status for d in found}
    report.drift_status = "fail" if "fail" in statuses else "warn" if "warn" in statuses else "ok"
    shown = ", ".join(
        f"{d.feature} {d.psi:.3f}" for d in sorted(found, key=lambda d: -d.psi) if d.status != "ok"
    )
    if report.drift_status == "warn":
        log.warning("feature drift at or above warn_psi=%s: PSI %s", spec.drift_warn_psi, shown)
    if report.drift_status == "fail":
        failing = ", ".join(f"{d.feature} (PSI {d.psi:.3f})" for d in found if d.status == "fail")
        raise InferenceError(
            f"feature drift: {failing} at or above monitoring.drift.fail_psi={spec.drift_fail_psi} of "
            f"models/{spec.name}.yaml; nothing was published. The population differs from the training "
            "rows: check the feature pipelines, or retrain on recent data"
        )


def _publish(
    plan: ScoringPlan,
    pending: list[pl.DataFrame],
    config: dict[str, Any],
    report: RunReport,
    archive: ArchiveWriter,
) -> None:
    """Score in batches and publish every prediction, waiting for each acknowledgement. Scoring
    runs one batch ahead in a thread (onnxruntime and Polars release the GIL) while this thread
    hands the previous batch to the producer; each batch also goes to the archive's file."""
    settings = plan.settings
    publisher = AcknowledgedPublisher(config, settings)
    headers = [
        ("model_version", plan.loaded.version.encode()),
        ("pipeline_execution_id", settings.pipeline_execution_id.encode()),
        ("model_spec_sha256", settings.spec.sha256.encode()),
        ("content-type", b"application/json"),
    ]
    to_score = report.rows_read - report.skipped_missing - report.skipped_expired
    for batch in read_ahead(plan.messages(pending, _iso(datetime.now(UTC))), depth=2):
        publisher.produce_batch(batch["key"].to_list(), batch["value"].to_list(), headers)
        archive.write(batch)
        report.scored += batch.height
        log.info("scored and queued %d/%d", report.scored, to_score)
    outstanding = publisher.flush(settings.kafka_flush_timeout_s)
    stats = publisher.stats
    report.produced, report.acknowledged, report.failed = stats.produced, stats.acknowledged, stats.failed
    report.not_acknowledged = report.produced - report.acknowledged
    if report.not_acknowledged:
        raise InferenceError(
            f"{report.not_acknowledged} of {report.produced} predictions were not acknowledged by Kafka "
            f"({report.failed} failed, {outstanding} still queued after the {settings.kafka_flush_timeout_s:.0f} s "
            f"flush; first error: {stats.first_error or 'none'}); re-run for the same as_of to publish them again"
        )


def _drift_run(settings: InferenceSettings, loaded: Any, report: RunReport, resources: Any) -> dict[str, Any]:
    """What the drift run records (ml_inference.model_registry.log_drift_run)."""
    stamp = report.features_as_of.replace(":", "").replace("-", "")
    return {
        "mlflow_tracking_uri": settings.mlflow_tracking_uri,
        "run_id": loaded.run_id,
        "run_name": f"{settings.spec.name}-{settings.environment}-drift-{stamp}-shard-{resources.index + 1}",
        "model": settings.spec.name,
        "environment": settings.environment,
        "version": loaded.version,
        "drift_status": report.drift_status,
        "as_of": report.features_as_of,
        "drift": report.drift,
    }


def run_inference(
    settings: InferenceSettings, paths: ProcessingPaths, model_fetch: ModelFetch | None = None
) -> RunReport:
    """One run: Kafka -> model -> population and features -> score and publish -> report.

    ``model_fetch`` is the model's child process if the caller started it early.
    """
    started = time.perf_counter()
    model_fetch = model_fetch or ModelFetch(settings)
    resources = ResourceConfig.read(paths.resource_config)
    # One as_of for every shard of a run: the execution's start time unless given.
    as_of = settings.as_of or settings.execution_start_time or datetime.now(UTC)
    report = RunReport(
        status="failed",
        model_name=settings.model_name,
        model_version="",
        topic=settings.kafka_topic,
        shard=f"{resources.index + 1}/{resources.count}",
        features_as_of=_iso(as_of),
    )
    loaded = None
    try:
        config = _connect_kafka(settings)
        loaded = model_fetch.result()  # resolved and downloaded by the child meanwhile
        report.model_version = loaded.version
        report.model_ready_s = round(time.time() - STARTED_AT, 3)
        phase = time.perf_counter()
        plan = ScoringPlan.prepare(settings, loaded, resources, as_of)
        pending = [plan.count(report)]  # the first pass, handed over to _publish, not kept here
        _check_population(report, settings)
        check_drift(plan, pending[0], report)
        report.features_s = round(time.perf_counter() - phase, 3)
        phase = time.perf_counter()
        archive = ArchiveWriter(
            settings.predictions_uri,
            model=settings.spec.name,
            version=loaded.version,
            as_of=as_of,
            shard=(resources.index, resources.count),
        )
        try:
            _publish(plan, pending, config, report, archive)
            report.archive_uri, report.archived = archive.commit(), archive.rows  # every message acknowledged
        finally:
            archive.close()
        report.publish_s = round(time.perf_counter() - phase, 3)
        report.status = "succeeded"
        return report
    except MLPlatformError as exc:
        report.error = str(exc)
        raise
    finally:
        model_fetch.close()
        _finish(settings, paths, report, loaded=loaded, resources=resources, started=started)


def _finish(
    settings: InferenceSettings,
    paths: ProcessingPaths,
    report: RunReport,
    *,
    loaded: LoadedModel | None,
    resources: Any,
    started: float,
) -> None:
    """Whatever the outcome: the totals, the drift run in MLflow, the report, CloudWatch."""
    report.peak_rss_mb = round(peak_rss_mb(), 1)
    report.seconds = round(time.perf_counter() - started, 3)
    report.messages_per_second = round(report.acknowledged / report.seconds, 1) if report.seconds else 0.0
    if report.drift and loaded is not None and loaded.run_id:
        report.drift_run_id = log_drift_run(_drift_run(settings, loaded, report, resources))
    write_report(paths, report)
    log.info("run report: %s", json.dumps(asdict(report)))
    if settings.cloudwatch_namespace:
        data = run_metrics(report, model=settings.spec.name, environment=settings.environment)
        put_metrics(settings.cloudwatch_namespace, data)
