#!/usr/bin/env python3
"""A real gRPC server and client (grpcio) for Portico's end-to-end tests, without generated code:
the messages are raw bytes (no protobuf), the methods those of `portico.test.Echo`.

  grpc_peer.py serve --port P [--tls CERT KEY] [--name N] [--services S,…] [--log FILE]
      Unary(b)         -> b, or NOT_FOUND "no such thing: <b>" when b starts with "missing"
      ServerStream(b"N")   -> N messages "msg-0" … "msg-(N-1)"
      ClientStream(m…) -> "got N: <first>…<last>"
      Bidi(m…)         -> each message upper-cased, as it arrives
      Slow(b"MS")      -> b"slept" after MS milliseconds
      every answer carries the metadata it saw as trailing metadata "seen-<key>", and
      "served-by: N" with --name; --services serves the methods under these service names
      (default portico.test.Echo); with --log, each call appends {"kind": …, "request": …}
      to FILE (a line of JSON; the request messages joined)

  grpc_peer.py call --target HOST:PORT [--authority A] [--ca CERT] [--timeout S]
                    [--service S] [--header K=V …] KIND [ARG]
      prints one JSON object: {"code": "OK", "message": …, "replies": […], "trailers": {…}}
"""
import argparse
import json
import sys
import time
from concurrent import futures

import grpc

SERVICE = "portico.test.Echo"
SERVED_BY = ()
LOG = None


def record(kind, payload):
    if LOG:
        with open(LOG, "a") as log:
            log.write(json.dumps({"kind": kind, "request": payload.decode(errors="replace")}) + "\n")


def seen(context):
    return SERVED_BY + tuple(("seen-" + key, value) for key, value in context.invocation_metadata()
                             if key in ("x-forwarded-for", "x-request-id", "te", "content-type", "user-agent", "x-custom", "x-lane", "x-added"))


def unary(request, context):
    record("Unary", request)
    context.set_trailing_metadata(seen(context))
    if request.startswith(b"missing"):
        context.abort(grpc.StatusCode.NOT_FOUND, "no such thing: " + request.decode())
    return request


def server_stream(request, context):
    context.set_trailing_metadata(seen(context))
    for index in range(int(request or b"3")):
        yield f"msg-{index}".encode()


def client_stream(requests, context):
    context.set_trailing_metadata(seen(context))
    messages = list(requests)
    record("ClientStream", b"".join(messages))
    return f"got {len(messages)}: {b''.join(messages).decode()}".encode()


def bidi(requests, context):
    context.set_trailing_metadata(seen(context))
    for message in requests:
        yield message.upper()


def slow(request, context):
    time.sleep(int(request or b"1000") / 1000)
    return b"slept"


def serve(args):
    global SERVED_BY, LOG
    SERVED_BY = (("served-by", args.name),) if args.name else ()
    LOG = args.log
    handlers = {
        "Unary": grpc.unary_unary_rpc_method_handler(unary),
        "ServerStream": grpc.unary_stream_rpc_method_handler(server_stream),
        "ClientStream": grpc.stream_unary_rpc_method_handler(client_stream),
        "Bidi": grpc.stream_stream_rpc_method_handler(bidi),
        "Slow": grpc.unary_unary_rpc_method_handler(slow),
    }
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    server.add_generic_rpc_handlers(tuple(grpc.method_handlers_generic_handler(name, handlers) for name in args.services.split(",")))
    address = f"127.0.0.1:{args.port}"
    if args.tls:
        with open(args.tls[0], "rb") as cert, open(args.tls[1], "rb") as key:
            server.add_secure_port(address, grpc.ssl_server_credentials([(key.read(), cert.read())]))
    else:
        server.add_insecure_port(address)
    server.start()
    server.wait_for_termination()


def call(args):
    options = [("grpc.default_authority", args.authority)] if args.authority else []
    if args.ca:
        with open(args.ca, "rb") as ca:
            credentials = grpc.ssl_channel_credentials(root_certificates=ca.read())
        if args.authority:
            options.append(("grpc.ssl_target_name_override", args.authority.split(":")[0]))
        channel = grpc.secure_channel(args.target, credentials, options=options)
    else:
        channel = grpc.insecure_channel(args.target, options=options)
    method = f"/{args.service}/{args.kind}"
    metadata = (("x-custom", "one"),) + tuple(tuple(header.split("=", 1)) for header in args.header)
    result = {"code": "OK", "message": "", "replies": [], "trailers": {}}
    try:
        if args.kind in ("Unary", "Slow"):
            reply, info = channel.unary_unary(method).with_call(args.arg.encode(), timeout=args.timeout, metadata=metadata)
            result["replies"] = [reply.decode()]
        elif args.kind == "ServerStream":
            stream = channel.unary_stream(method)(args.arg.encode(), timeout=args.timeout, metadata=metadata)
            result["replies"] = [reply.decode() for reply in stream]
            info = stream
        elif args.kind == "ClientStream":
            messages = [part.encode() for part in args.arg.split(",")]
            reply, info = channel.stream_unary(method).with_call(iter(messages), timeout=args.timeout, metadata=metadata)
            result["replies"] = [reply.decode()]
        else:
            messages = [part.encode() for part in args.arg.split(",")]
            stream = channel.stream_stream(method)(iter(messages), timeout=args.timeout, metadata=metadata)
            result["replies"] = [reply.decode() for reply in stream]
            info = stream
        result["trailers"] = dict(info.trailing_metadata() or ())
    except grpc.RpcError as error:
        result["code"] = error.code().name
        result["message"] = error.details() or ""
        result["trailers"] = dict(error.trailing_metadata() or ())
    print(json.dumps(result), flush=True)


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    server = sub.add_parser("serve")
    server.add_argument("--port", type=int, required=True)
    server.add_argument("--tls", nargs=2, metavar=("CERT", "KEY"))
    server.add_argument("--name")
    server.add_argument("--services", default=SERVICE)
    server.add_argument("--log")
    client = sub.add_parser("call")
    client.add_argument("--target", required=True)
    client.add_argument("--authority")
    client.add_argument("--ca")
    client.add_argument("--timeout", type=float, default=10)
    client.add_argument("--service", default=SERVICE)
    client.add_argument("--header", action="append", default=[])
    client.add_argument("kind", choices=["Unary", "ServerStream", "ClientStream", "Bidi", "Slow"])
    client.add_argument("arg", nargs="?", default="")
    args = parser.parse_args()
    serve(args) if args.command == "serve" else call(args)


if __name__ == "__main__":
    main()
