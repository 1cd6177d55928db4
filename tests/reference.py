"""Brute-force reference of the point-in-time semantics (see ml_platform.feature_store.retrieval)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any


def latest_record(records: list[dict[str, Any]], record_id: Any, at: datetime) -> dict[str, Any] | None:
    """The record a point-in-time read sees for (id, at), deletion markers included."""
    best, best_key = None, None
    for position, r in enumerate(records):
        if r["id"] != record_id or r["event_ts"] > at:
            continue
        key = (r["event_ts"], r["write_time"], r["api_invocation_time"], position)
        if best_key is None or key > best_key:
            best, best_key = r, key
    return best


def visible(record: dict[str, Any] | None, at: datetime, ttl: timedelta | None) -> bool:
    if record is None or record["is_deleted"]:
        return False
    return ttl is None or record["event_ts"] >= at - ttl


def point_in_time(records, entities, ttl, feature: str = "value") -> list[Any]:
    out = []
    for e in entities:
        r = latest_record(records, e["id"], e["ts"])
        out.append(r[feature] if visible(r, e["ts"], ttl) else None)
    return out


def snapshot(records, as_of, ttl, feature: str = "value") -> dict[Any, Any]:
    out = {}
    for rid in sorted({r["id"] for r in records}):
        r = latest_record(records, rid, as_of)
        if visible(r, as_of, ttl):
            out[rid] = r[feature]
    return out
