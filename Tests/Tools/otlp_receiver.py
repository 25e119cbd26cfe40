#!/usr/bin/env python3
"""An OTLP/HTTP trace receiver for the tests: POST /v1/traces with a JSON body.

It decodes the body as an OpenTelemetry collector does: OTLP's JSON encoding (trace and span
ids as hex), strictly checked against the real protobuf schema (opentelemetry-proto's
ExportTraceServiceRequest; an unknown field or a wrong type is refused with 400). Each span
received becomes one JSON line in --out (with "batch": how many spans its request carried); a refused body becomes a line {"error": ...}.
"""
import argparse
import base64
import binascii
import json
import signal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

ID_LENGTHS = {"traceId": 16, "spanId": 8, "parentSpanId": 8}


def hex_ids_to_base64(span):
    """OTLP/JSON carries ids as hex; protobuf's JSON mapping wants base64 bytes."""
    for key, length in ID_LENGTHS.items():
        if key in span:
            raw = binascii.unhexlify(span[key])
            if len(raw) != length or span[key] != span[key].lower():
                raise ValueError(f"{key} {span[key]!r} is not {2 * length} lower-case hex digits")
            span[key] = base64.b64encode(raw).decode()


def value_of(any_value):
    kind = any_value.WhichOneof("value")
    return getattr(any_value, kind) if kind else None


class Handler(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            if self.path != "/v1/traces":
                raise ValueError(f"path {self.path}")
            if self.headers.get("Content-Type") != "application/json":
                raise ValueError(f"content type {self.headers.get('Content-Type')}")
            document = json.loads(body)
            for resource_spans in document.get("resourceSpans", []):
                for scope_spans in resource_spans.get("scopeSpans", []):
                    for span in scope_spans.get("spans", []):
                        hex_ids_to_base64(span)
            request = json_format.Parse(json.dumps(document), trace_service_pb2.ExportTraceServiceRequest())
        except Exception as error:  # noqa: BLE001 - every refusal is reported to the test
            self.answer(400, {"error": str(error)})
            return
        lines = []
        batch = sum(len(scope.spans) for resource in request.resource_spans for scope in resource.scope_spans)
        for resource_spans in request.resource_spans:
            resource = {a.key: value_of(a.value) for a in resource_spans.resource.attributes}
            for scope_spans in resource_spans.scope_spans:
                for span in scope_spans.spans:
                    lines.append({
                        "service": resource.get("service.name"),
                        "scope": scope_spans.scope.name,
                        "traceId": span.trace_id.hex(),
                        "spanId": span.span_id.hex(),
                        "parentSpanId": span.parent_span_id.hex(),
                        "name": span.name,
                        "kind": span.kind,
                        "start": span.start_time_unix_nano,
                        "end": span.end_time_unix_nano,
                        "status": span.status.code,
                        "attributes": {a.key: value_of(a.value) for a in span.attributes},
                        "batch": batch,
                    })
        with open(self.server.out, "a") as out:
            for line in lines:
                out.write(json.dumps(line) + "\n")
        self.answer(200, {})

    def answer(self, status, document):
        if status != 200:
            with open(self.server.out, "a") as out:
                out.write(json.dumps(document) + "\n")
        payload = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--out", required=True)
    arguments = parser.parse_args()
    # The test runner may ignore or block SIGTERM, and children inherit both: take it back.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM, signal.SIGINT})
    server = ThreadingHTTPServer(("127.0.0.1", arguments.port), Handler)
    server.out = arguments.out
    server.serve_forever()


if __name__ == "__main__":
    main()
