"""An emulator of the SageMaker Feature Store runtime API (REST + JSON over HTTP).

moto has no ``sagemaker-featurestore-runtime``; this serves PutRecord, GetRecord,
BatchGetRecord and DeleteRecord on 127.0.0.1 so that the real boto3 client talks to it
over HTTP. Feature group definitions are read from the SageMaker control plane (moto)
with ``DescribeFeatureGroup``. Like SageMaker, a record with an older event time never
replaces a newer one. ``throttle_next(n)`` makes the next n calls fail with
``ThrottlingException``. Records are kept in memory (no offline replication).
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

import boto3


def _event_time(value: str, ftype: str) -> float:
    if ftype == "Fractional":
        return float(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


class FeatureStoreRuntimeEmulator:
    def __init__(self, control_plane_endpoint: str, region: str = "us-east-1"):
        self._sagemaker = boto3.client(
            "sagemaker",
            endpoint_url=control_plane_endpoint,
            region_name=region,
            aws_access_key_id="emulator",
            aws_secret_access_key="emulator",
        )
        self._definitions: dict[str, dict] = {}
        self.records: dict[str, dict[str, list[dict[str, str]]]] = {}
        self.calls: Counter[str] = Counter()
        self._throttle = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FeatureStoreRuntimeEmulator:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def reset(self) -> None:
        with self._lock:
            self.records.clear()
            self._definitions.clear()
            self.calls.clear()
            self._throttle = 0

    def throttle_next(self, count: int) -> None:
        with self._lock:
            self._throttle = count

    # -- behaviour ----------------------------------------------------------------------
    def _definition(self, name: str) -> dict | None:
        if name not in self._definitions:
            try:
                self._definitions[name] = self._sagemaker.describe_feature_group(FeatureGroupName=name)
            except Exception:
                return None
        return self._definitions[name]

    def _take_throttle(self) -> bool:
        with self._lock:
            if self._throttle > 0:
                self._throttle -= 1
                return True
            return False

    def put_record(self, name: str, body: dict) -> tuple[int, dict]:
        definition = self._definition(name)
        if definition is None:
            return 404, {"__type": "ResourceNotFound", "message": f"Resource Not Found: feature group {name}"}
        types = {f["FeatureName"]: f["FeatureType"] for f in definition["FeatureDefinitions"]}
        record = body.get("Record") or []
        values = {item["FeatureName"]: item.get("ValueAsString") for item in record}
        unknown = [n for n in values if n not in types]
        if unknown:
            return 400, {"__type": "ValidationError", "message": f"Unknown feature(s) {unknown} for {name}"}
        id_name, time_name = definition["RecordIdentifierFeatureName"], definition["EventTimeFeatureName"]
        if values.get(id_name) in (None, "") or values.get(time_name) in (None, ""):
            return 400, {
                "__type": "ValidationError",
                "message": "record identifier and event time are required",
            }
        new_time = _event_time(values[time_name], types[time_name])
        with self._lock:
            group = self.records.setdefault(name, {})
            current = group.get(values[id_name])
            if current is not None:
                old = {i["FeatureName"]: i["ValueAsString"] for i in current}
                if _event_time(old[time_name], types[time_name]) > new_time:
                    return 200, {}
            group[values[id_name]] = record
        return 200, {}

    def get(self, name: str, record_id: str, feature_names: list[str] | None) -> list[dict] | None:
        with self._lock:
            record = self.records.get(name, {}).get(record_id)
        if record is None:
            return None
        return [i for i in record if not feature_names or i["FeatureName"] in feature_names]

    def batch_get(self, body: dict) -> tuple[int, dict]:
        identifiers = body.get("Identifiers") or []
        total = sum(len(i.get("RecordIdentifiersValueAsString", [])) for i in identifiers)
        if total > 100:
            return 400, {
                "__type": "ValidationError",
                "message": f"at most 100 record identifiers, got {total}",
            }
        records, errors = [], []
        for ident in identifiers:
            name = ident["FeatureGroupName"]
            if self._definition(name) is None:
                errors += [
                    {
                        "FeatureGroupName": name,
                        "RecordIdentifierValueAsString": rid,
                        "ErrorCode": "ResourceNotFound",
                        "ErrorMessage": f"feature group {name} not found",
                    }
                    for rid in ident["RecordIdentifiersValueAsString"]
                ]
                continue
            for rid in ident["RecordIdentifiersValueAsString"]:
                record = self.get(name, rid, ident.get("FeatureNames"))
                if record is not None:
                    records.append(
                        {"FeatureGroupName": name, "RecordIdentifierValueAsString": rid, "Record": record}
                    )
        return 200, {"Records": records, "Errors": errors, "UnprocessedIdentifiers": []}

    def delete(self, name: str, record_id: str, event_time: str) -> None:
        """SoftDelete: the record leaves the online store only when it is not newer than
        ``event_time`` (the same rule as the local backend)."""
        definition = self._definition(name)
        if definition is None:
            return
        time_name = definition["EventTimeFeatureName"]
        time_type = next(
            f["FeatureType"] for f in definition["FeatureDefinitions"] if f["FeatureName"] == time_name
        )
        with self._lock:
            current = self.records.get(name, {}).get(record_id)
            if current is None:
                return
            old = {i["FeatureName"]: i["ValueAsString"] for i in current}[time_name]
            if _event_time(old, time_type) <= _event_time(event_time, "String"):
                self.records[name].pop(record_id)

    # -- HTTP ---------------------------------------------------------------------------
    def _handler(self):
        emulator = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if "__type" in body:
                    self.send_header("x-amzn-ErrorType", body["__type"])
                self.end_headers()
                self.wfile.write(data)

            def _body(self) -> dict:
                length = int(self.headers.get("Content-Length") or 0)
                return json.loads(self.rfile.read(length) or b"{}")

            def _dispatch(self, method: str) -> None:
                url = urlparse(self.path)
                query = parse_qs(url.query)
                parts = [unquote(p) for p in url.path.strip("/").split("/")]
                op = f"{method} {parts[0] if parts else ''}"
                emulator.calls[op] += 1
                if emulator._take_throttle():
                    self._send(400, {"__type": "ThrottlingException", "message": "Rate exceeded"})
                    return
                if method == "POST" and parts == ["BatchGetRecord"]:
                    self._send(*emulator.batch_get(self._body()))
                    return
                if len(parts) != 2 or parts[0] != "FeatureGroup":
                    self._send(404, {"__type": "UnknownOperationException", "message": self.path})
                    return
                name = parts[1]
                if method == "PUT":
                    self._send(*emulator.put_record(name, self._body()))
                elif method == "GET":
                    if emulator._definition(name) is None:
                        self._send(
                            404, {"__type": "ResourceNotFound", "message": f"feature group {name} not found"}
                        )
                        return
                    record = emulator.get(
                        name, query["RecordIdentifierValueAsString"][0], query.get("FeatureName")
                    )
                    self._send(200, {"Record": record} if record is not None else {})
                elif method == "DELETE":
                    emulator.delete(name, query["RecordIdentifierValueAsString"][0], query["EventTime"][0])
                    self._send(200, {})
                else:
                    self._send(405, {"__type": "ValidationError", "message": method})

            def do_GET(self) -> None:
                self._dispatch("GET")

            def do_PUT(self) -> None:
                self._dispatch("PUT")

            def do_POST(self) -> None:
                self._dispatch("POST")

            def do_DELETE(self) -> None:
                self._dispatch("DELETE")

        return Handler
