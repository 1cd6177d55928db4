"""The batch inference job as plain functions: checks -> model -> features -> score -> Kafka -> report."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import numpy as np
import polars as pl
import skops.io  # noqa: F401  (imported while the model_registry child resolves the model)

from ml_inference import STARTED_AT
from ml_inference.kafka_io import AcknowledgedPublisher, KafkaHealthChecker, client_config, redacted
from ml_inference.model_loader import ModelFetch
from ml_inference.paths import ProcessingPaths
from ml_inference.read_ahead import read_ahead
from ml_inference.settings import InferenceSettings
from ml_platform.config import FeatureStoreSettings
from ml_platform.container import ResourceConfig
from ml_platform.errors import MLPlatformError
from ml_platform.feature_store import open_feature_store
from ml_platform.memory import peak_rss_mb
from ml_platform.model_input import compile_preprocess, model_features, preprocess_agrees, to_model_input
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
    """Kafka keys and JSON values for one batch, built column-wise.

    The key is the entity's key value, or its key values joined by '|' (in the spec's key
    order) when the model has several; the value then also carries them by name.
    """
    columns = keys.columns
    entity_id = pl.concat_str([pl.col(c).cast(pl.Utf8) for c in columns], separator="|")
    frame = keys.with_columns(entity_id.alias("entity_id"), pl.Series("score", scores))
    fields = [pl.lit(SCHEMA_VERSION).alias("schema_version"), pl.col("entity_id")]
    if len(columns) > 1:
        fields.append(pl.struct(columns).alias("keys"))
    value = pl.struct(
        *fields,
        pl.col("score").round(6),
        (pl.col("score") >= threshold).cast(pl.Int8).alias("predicted_label"),
        pl.lit(model_name).alias("model_name"),
        pl.lit(model_version).alias("model_version"),
        pl.lit(run_id).alias("mlflow_run_id"),
        pl.lit(features_as_of).alias("features_as_of"),
        pl.lit(scored_at).alias("scored_at"),
    ).struct.json_encode()
    return frame.select(pl.col("entity_id").alias("key"), value.alias("value"))


def scorer(model, features, sample: pl.DataFrame) -> Callable[[pl.DataFrame], np.ndarray]:
    """Positive-class probabilities of a batch, with the Polars preprocessing when it is exact."""
    compiled = compile_preprocess(model, features)
    if compiled is not None and not preprocess_agrees(model, features, compiled, sample):
        log.warning("compiled preprocessing differs from the model's own on a sample; using sklearn's")
        compiled = None
    if compiled is None:
        return lambda batch: model.predict_proba(to_model_input(batch, features))[:, 1]
    transform, estimator = compiled
    log.info("preprocessing: Polars, checked equal to the model's on %d rows", sample.height)
    return lambda batch: estimator.predict_proba(transform(batch))[:, 1]


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


def run_inference(
    settings: InferenceSettings, paths: ProcessingPaths, model_fetch: ModelFetch | None = None
) -> RunReport:
    """One run; ``model_fetch`` is the model's child process if the caller started it early."""
    started = time.perf_counter()
    model_fetch = model_fetch or ModelFetch(settings)
    resources = ResourceConfig.read(paths.resource_config)
    # One as_of for every shard of a run: the execution's start time unless given.
    as_of = settings.as_of or settings.execution_start_time or datetime.now(UTC)
    as_of_text = as_of.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    report = RunReport(
        status="failed",
        model_name=settings.model_name,
        model_version="",
        topic=settings.kafka_topic,
        shard=f"{resources.index + 1}/{resources.count}",
        features_as_of=as_of_text,
    )
    try:
        # 1. Connectivity first: nothing is scored when the results cannot be delivered.
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
            "Kafka: brokers %s, topic %s with %d partitions",
            ",".join(brokers),
            settings.kafka_topic,
            partitions,
        )

        # 2. The model (resolved and downloaded by the child meanwhile), and its features.
        loaded = model_fetch.result()
        report.model_version = loaded.version
        report.model_ready_s = round(time.time() - STARTED_AT, 3)
        phase = time.perf_counter()
        store = open_feature_store(FeatureStoreSettings.from_env())
        features = model_features(store.specs, loaded.selection)
        spec = settings.spec
        join_keys = {**spec.join_keys, **loaded.join_keys}
        anchor = spec.anchor_group
        key_columns = list(dict.fromkeys(join_keys[g] for g in (anchor, *loaded.selection)))

        # 3. Population and latest features.
        entities = _entity_list(settings, key_columns) if settings.entity_list_uri else None
        # The population is read and scored in passes of about chunk_rows ids (disjoint id-hash
        # shards of this instance's shard), so memory follows chunk_rows, not the population.
        chunks = _chunks(store.offline_rows(anchor, end=as_of), resources.count, settings)
        shards = [(resources.index + k * resources.count, resources.count * chunks) for k in range(chunks)]
        if chunks > 1:
            log.info("scoring in %d passes of about %d ids each (chunk_rows)", chunks, settings.chunk_rows)

        def frame_of(shard: tuple[int, int], groups: dict):
            return store.scoring_frame(
                groups, anchor=anchor, as_of=as_of, join_keys=join_keys, entities=entities, shard=shard
            )

        first = frame_of(shards[0], loaded.selection)
        counts = [first] if chunks == 1 else [frame_of(s, {}) for s in shards]  # anchor only: the counts
        report.rows_read = sum(c.population for c in counts)
        report.skipped_missing = sum(c.skipped_missing for c in counts)
        report.skipped_expired = sum(c.skipped_expired for c in counts)
        population = report.rows_read
        if population == 0:
            raise InferenceError(
                f"empty population: no ids in {settings.entity_list_uri or anchor} "
                f"as of {as_of_text} (shard {report.shard}); check the feature store and as_of"
            )
        skipped = report.skipped_missing + report.skipped_expired
        if skipped / population > settings.max_skipped_share:
            raise InferenceError(
                f"{skipped} of {population} entities skipped ({report.skipped_missing} without features in "
                f"{anchor}, {report.skipped_expired} older than its TTL), more than "
                f"max_skipped_share={settings.max_skipped_share}; check that the feature pipelines are up to date"
            )
        to_score = population - skipped
        report.features_s = round(time.perf_counter() - phase, 3)
        phase = time.perf_counter()

        # 4. Score in batches and publish. Scoring runs one batch ahead in a thread (sklearn and
        #    Polars release the GIL) while this thread hands the previous batch to the producer.
        publisher = AcknowledgedPublisher(config, settings)
        headers = [
            ("model_version", loaded.version.encode()),
            ("pipeline_execution_id", settings.pipeline_execution_id.encode()),
            ("model_spec_sha256", spec.sha256.encode()),
            ("content-type", b"application/json"),
        ]
        scored_at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

        score = scorer(loaded.model, features, first.frame.head(2000))
        pending = [first.frame]  # handed over, not kept: one pass in memory at a time
        del first, counts

        def scored_batches() -> Iterator[tuple[list[str], list[str]]]:
            for shard in shards:
                frame = pending.pop() if pending else frame_of(shard, loaded.selection).frame
                yield from score_frame(frame)
                del frame  # before the next pass is read

        def score_frame(frame: pl.DataFrame) -> Iterator[tuple[list[str], list[str]]]:
            for batch in frame.iter_slices(settings.batch_size):
                proba = score(batch)
                messages = message_values(
                    batch.select(key_columns),
                    proba,
                    threshold=settings.threshold,
                    model_name=loaded.name,
                    model_version=loaded.version,
                    run_id=loaded.run_id,
                    features_as_of=as_of_text,
                    scored_at=scored_at,
                )
                yield messages["key"].to_list(), messages["value"].to_list()

        for keys, values in read_ahead(scored_batches(), depth=2):
            publisher.produce_batch(keys, values, headers)
            report.scored += len(keys)
            log.info("scored and queued %d/%d", report.scored, to_score)
        outstanding = publisher.flush(settings.kafka_flush_timeout_s)
        report.publish_s = round(time.perf_counter() - phase, 3)
        stats = publisher.stats
        report.produced, report.acknowledged, report.failed = stats.produced, stats.acknowledged, stats.failed
        report.not_acknowledged = report.produced - report.acknowledged
        if report.not_acknowledged:
            raise InferenceError(
                f"{report.not_acknowledged} of {report.produced} predictions were not acknowledged by Kafka "
                f"({report.failed} failed, {outstanding} still queued after the {settings.kafka_flush_timeout_s:.0f} s "
                f"flush; first error: {stats.first_error or 'none'}); re-run for the same as_of to publish them again"
            )
        report.status = "succeeded"
        return report
    except MLPlatformError as exc:
        report.error = str(exc)
        raise
    finally:
        model_fetch.close()
        report.peak_rss_mb = round(peak_rss_mb(), 1)
        report.seconds = round(time.perf_counter() - started, 3)
        report.messages_per_second = round(report.acknowledged / report.seconds, 1) if report.seconds else 0.0
        write_report(paths, report)
        log.info("run report: %s", json.dumps(asdict(report)))
