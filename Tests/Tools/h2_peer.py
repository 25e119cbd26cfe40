#!/usr/bin/env python3
"""A raw HTTP/2 peer for Portico's end-to-end tests (Python's `h2`, `hpack`, `hyperframe`).

Each attack is a subcommand that connects to the plain port with prior knowledge (or to the
TLS port with ALPN h2 given --tls), does its thing, and prints one JSON object describing what
the server did: GOAWAY and its error code, streams reset and their codes, answers and their
statuses, and whether the connection is still usable afterwards.

  h2_peer.py --port P rapid-reset --count 1000 --authority h
  h2_peer.py --port P continuation-flood
  h2_peer.py --port P hpack-bomb
  h2_peer.py --port P stream-limit --count 200
  h2_peer.py --port P settings-flood --count 10000
  h2_peer.py --port P smuggle
  h2_peer.py --port P get --path /x
  h2_peer.py --port P goaway-in-flight --seconds 10
  h2_peer.py --port P many-then-goaway --count 5 --seconds 10
"""
import argparse
import json
import socket
import ssl
import sys
import time

import h2.config
import h2.connection
import h2.events
import h2.exceptions
import h2.settings
from hpack import Encoder
from hyperframe.frame import ContinuationFrame, HeadersFrame, SettingsFrame, RstStreamFrame, DataFrame

ERRORS = {0x0: "NO_ERROR", 0x1: "PROTOCOL_ERROR", 0x2: "INTERNAL_ERROR", 0x3: "FLOW_CONTROL_ERROR",
          0x5: "STREAM_CLOSED", 0x6: "FRAME_SIZE_ERROR", 0x7: "REFUSED_STREAM", 0x8: "CANCEL",
          0x9: "COMPRESSION_ERROR", 0xb: "ENHANCE_YOUR_CALM"}


def code_name(code):
    return ERRORS.get(int(code), str(int(code)))


class Peer:
    def __init__(self, args, validate=True):
        self.args = args
        raw = socket.create_connection(("127.0.0.1", args.port), timeout=10)
        if args.tls:
            context = ssl.create_default_context()
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
            context.set_alpn_protocols(["h2"])
            raw = context.wrap_socket(raw, server_hostname=args.authority)
            assert raw.selected_alpn_protocol() == "h2", raw.selected_alpn_protocol()
        self.sock = raw
        config = h2.config.H2Configuration(client_side=True, validate_outbound_headers=validate,
                                           normalize_outbound_headers=validate, validate_inbound_headers=False)
        self.conn = h2.connection.H2Connection(config=config)
        self.conn.initiate_connection()
        self.flush()
        self.goaway = None
        self.resets = {}
        self.answers = {}
        self.bodies = {}
        self.ended = set()
        self.closed = False
        self.ping_acked = False

    def flush(self):
        data = self.conn.data_to_send()
        if data:
            try:
                self.sock.sendall(data)
            except OSError:
                self.closed = True

    def send_raw(self, data):
        try:
            self.sock.sendall(data)
        except OSError:
            self.closed = True

    def headers(self, path, extra=(), end_stream=True, method="GET"):
        stream = self.conn.get_next_available_stream_id()
        headers = [(":method", method), (":scheme", "https" if self.args.tls else "http"),
                   (":authority", self.args.authority), (":path", path)] + list(extra)
        self.conn.send_headers(stream, headers, end_stream=end_stream)
        self.flush()
        return stream

    def pump(self, until, timeout=5.0):
        """Reads and handles events until `until()` holds, the connection closes or `timeout`.
        Frames go to h2 one at a time, so a frame h2's state machine refuses (a PING after the
        server's first GOAWAY, say) loses no event before it; GOAWAY is also read off the wire."""
        def each(kind, payload, frame):
            if kind == 0x7 and len(payload) >= 8 and self.goaway is None:
                self.goaway = code_name(int.from_bytes(payload[4:8], "big"))
            try:
                events = self.conn.receive_data(frame)
            except h2.exceptions.ProtocolError:
                # h2 takes nothing after a GOAWAY, but a graceful one lets the streams in
                # flight finish: their HEADERS and DATA are read here instead.
                events = []
                self.after_goaway(kind, frame[4], int.from_bytes(frame[5:9], "big") & 0x7FFFFFFF, payload)
            for event in events:
                self.handle(event)
            self.flush()
            return until()
        if not until():
            self.closed = raw_frames(self.sock, timeout, each) or self.closed

    def after_goaway(self, kind, flags, stream, payload):
        if kind == 0x1 and not flags & 0x28:  # HEADERS, neither padded nor with priority
            try:
                fields = dict(self.conn.decoder.decode(payload, raw=True))
                self.answers[stream] = int(fields[b":status"])
            except Exception:
                pass
        if kind in (0x0, 0x1) and flags & 0x1:
            self.ended.add(stream)
        if kind == 0x3 and len(payload) == 4:
            self.resets[stream] = code_name(int.from_bytes(payload, "big"))
        if kind == 0x6 and not flags & 0x1 and len(payload) == 8:
            # A PING after a graceful GOAWAY (the server measuring the round trip before its
            # final GOAWAY, RFC 9113 §6.8) is acknowledged, as a real client does.
            self.send_raw(b"\x00\x00\x08\x06\x01\x00\x00\x00\x00" + payload)

    def handle(self, event):
        if isinstance(event, h2.events.ConnectionTerminated):
            self.goaway = code_name(event.error_code)
        elif isinstance(event, h2.events.StreamReset):
            self.resets[event.stream_id] = code_name(event.error_code)
        elif isinstance(event, h2.events.ResponseReceived):
            self.answers[event.stream_id] = int(dict(event.headers)[b":status"])
        elif isinstance(event, h2.events.DataReceived):
            self.bodies[event.stream_id] = self.bodies.get(event.stream_id, 0) + len(event.data)
            self.conn.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
        elif isinstance(event, h2.events.StreamEnded):
            self.ended.add(event.stream_id)
        elif isinstance(event, h2.events.PingAckReceived):
            self.ping_acked = True

    def usable(self):
        """Whether a fresh GET on this connection still gets an answer."""
        if self.closed or self.goaway is not None:
            return False
        try:
            stream = self.headers("/still-usable")
        except Exception:
            return False
        self.pump(lambda: stream in self.answers or stream in self.resets, timeout=5)
        return self.answers.get(stream) == 200

    def report(self, **extra):
        result = {"goaway": self.goaway, "closed": self.closed,
                  "resets": sorted(set(self.resets.values())), "reset_count": len(self.resets),
                  "statuses": sorted(set(self.answers.values())), "answer_count": len(self.answers)}
        result.update(extra)
        print(json.dumps(result), flush=True)


def fresh_connection_works(args):
    """A new connection after the attack gets 200: the attack took down only its own."""
    try:
        peer = Peer(args)
        stream = peer.headers("/after-attack")
        peer.pump(lambda: stream in peer.answers or stream in peer.resets, timeout=5)
        return peer.answers.get(stream) == 200
    except OSError:
        return False


def rapid_reset(args):
    # CVE-2023-44487: open a stream and cancel it at once, over and over.
    peer = Peer(args)
    sent = 0
    for index in range(args.count):
        if peer.closed or peer.goaway:
            break
        stream = peer.headers(f"/rapid-reset-{index}")
        peer.conn.reset_stream(stream, error_code=0x8)
        peer.flush()
        sent += 1
        if index % 50 == 0:
            peer.pump(lambda: False, timeout=0.01)
    peer.pump(lambda: peer.goaway is not None, timeout=3)
    peer.report(sent=sent, after=fresh_connection_works(args))


def continuation_flood(args):
    # CVE-2024-27316 class: a header block that never ends, CONTINUATION after CONTINUATION.
    peer = Peer(args)
    encoder = Encoder()
    first = HeadersFrame(1)
    first.data = encoder.encode([(":method", "GET"), (":scheme", "http"), (":authority", args.authority), (":path", "/continuation")])
    peer.send_raw(first.serialize())
    frames = 0
    for index in range(args.count):
        if peer.closed:
            break
        frame = ContinuationFrame(1)
        frame.data = encoder.encode([(f"x-flood-{index}", "a" * 100)])
        peer.send_raw(frame.serialize())
        frames += 1
    # Read whatever the server says (its GOAWAY) without h2's state machine, which the raw
    # frames bypassed.
    goaway = read_codes(peer.sock)["goaway"]
    print(json.dumps({"goaway": goaway, "frames": frames, "after": fresh_connection_works(args)}), flush=True)


def raw_frames(sock, timeout, each):
    """Calls each(kind, payload, frame bytes) for every frame read off `sock` until it returns
    true, the socket closes (then returns True) or `timeout` passes."""
    deadline = time.time() + timeout
    buffer = b""
    while time.time() < deadline:
        sock.settimeout(max(0.05, deadline - time.time()))
        try:
            data = sock.recv(65536)
        except socket.timeout:
            continue
        except OSError:
            return True
        if not data:
            return True
        buffer += data
        while len(buffer) >= 9:
            length = int.from_bytes(buffer[0:3], "big")
            if len(buffer) < 9 + length:
                break
            frame, buffer = buffer[:9 + length], buffer[9 + length:]
            if each(frame[3], frame[9:], frame):
                return False
    return False


def read_codes(sock, timeout=5.0, stop_at_first=True):
    """The GOAWAY code, the RST_STREAM codes (counted) and the HEADERS count seen on a raw socket."""
    seen = {"goaway": None, "resets": {}, "headers": 0}

    def each(kind, payload, _):
        if kind == 0x7 and len(payload) >= 8:
            seen["goaway"] = code_name(int.from_bytes(payload[4:8], "big"))
            return stop_at_first
        if kind == 0x3 and len(payload) >= 4:
            code = code_name(int.from_bytes(payload[0:4], "big"))
            seen["resets"][code] = seen["resets"].get(code, 0) + 1
            return stop_at_first
        if kind == 0x1:
            seen["headers"] += 1
        return False
    raw_frames(sock, timeout, each)
    return seen


def hpack_bomb(args):
    # A 4 KiB header put in the dynamic table once, then referenced by one-byte indices: a small
    # header block that decodes to megabytes.
    peer = Peer(args)
    encoder = Encoder()
    big = ("x-bomb", "b" * 4000)
    block = encoder.encode([(":method", "GET"), (":scheme", "http"), (":authority", args.authority), (":path", "/hpack-bomb"), big])
    block += encoder.encode([big] * 2000)  # each repetition is the 1-byte index of the entry
    frame = HeadersFrame(1)
    frame.flags.add("END_HEADERS")
    frame.flags.add("END_STREAM")
    frame.data = block
    peer.send_raw(frame.serialize())
    raw = read_codes(peer.sock)
    print(json.dumps({"block_bytes": len(block), **raw, "after": fresh_connection_works(args)}), flush=True)


def stream_limit(args):
    # More concurrent streams than SETTINGS_MAX_CONCURRENT_STREAMS: the extra ones are refused.
    peer = Peer(args)
    peer.pump(lambda: peer.conn.remote_settings.max_concurrent_streams < 2**31, timeout=2)
    advertised = peer.conn.remote_settings.max_concurrent_streams
    encoder = Encoder()
    stream = 1
    for index in range(args.count):
        # Raw frames: h2 itself would refuse to exceed the server's limit.
        frame = HeadersFrame(stream)
        frame.flags.add("END_HEADERS")
        frame.data = encoder.encode([(":method", "POST"), (":scheme", "http"), (":authority", args.authority),
                                     (":path", f"/stream-limit-{index}"), ("content-length", "10")])
        peer.send_raw(frame.serialize())
        stream += 2
    raw = read_codes(peer.sock, timeout=3.0, stop_at_first=False)
    print(json.dumps({"advertised": advertised, "opened": args.count, **raw}), flush=True)


def settings_flood(args):
    peer = Peer(args)
    sent = 0
    for _ in range(args.count):
        if peer.closed:
            break
        peer.send_raw(SettingsFrame(0, settings={SettingsFrame.ENABLE_PUSH: 0}).serialize())
        sent += 1
    goaway = read_codes(peer.sock)["goaway"]
    print(json.dumps({"goaway": goaway, "sent": sent, "after": fresh_connection_works(args)}), flush=True)


def smuggle(args):
    """h2→h1 downgrade smuggling: each request is malformed in a way that, written naively as
    HTTP/1.1, would frame a second request. Each must be reset (or answered 400) and never reach
    the backend; a well-formed request on the same connection still gets 200."""
    cases = {}
    hidden = "GET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"

    def attempt(name, headers, body=None, method=None):
        peer = Peer(args, validate=False)
        stream = peer.conn.get_next_available_stream_id()
        base = [(":method", method or ("POST" if body is not None else "GET")), (":scheme", "http"), (":authority", args.authority)]
        peer.conn.send_headers(stream, base + headers, end_stream=body is None)
        if body is not None:
            peer.conn.send_data(stream, body.encode(), end_stream=True)
        peer.flush()
        peer.pump(lambda: stream in peer.resets or stream in peer.ended or peer.goaway is not None, timeout=5)
        cases[name] = {"status": peer.answers.get(stream), "reset": peer.resets.get(stream), "goaway": peer.goaway,
                       "usable": peer.usable()}

    attempt("content-length shorter than DATA", [(":path", "/m-cl-short"), ("content-length", "4")], body="abcd" + hidden)
    attempt("content-length longer than DATA", [(":path", "/m-cl-long"), ("content-length", "100")], body="abcd")
    attempt("transfer-encoding", [(":path", "/m-te"), ("transfer-encoding", "chunked")], body="0\r\n\r\n" + hidden)
    attempt("CRLF in a value", [(":path", "/m-crlf"), ("x-a", "1\r\nTransfer-Encoding: chunked")], body="0\r\n\r\n" + hidden)
    attempt("LF in a value", [(":path", "/m-lf"), ("x-a", "1\nContent-Length: 0")])
    attempt("CRLF in a name", [(":path", "/m-name"), ("x-a\r\nhost", "evil")])
    attempt("colon in a name", [(":path", "/m-colon"), ("x:a", "1")])
    attempt("upper-case name", [(":path", "/m-upper"), ("X-Upper", "1")])
    attempt("space in :path", [(":path", "/m-space HTTP/1.1\r\nHost: h\r\n\r\nGET /smuggled")])
    attempt("CRLF in :method", [(":path", "/m-method")], method="GET /m-method HTTP/1.1\r\nHost: h\r\n\r\nGET")
    attempt("connection field", [(":path", "/m-connection"), ("connection", "keep-alive")])
    attempt("upgrade field", [(":path", "/m-upgrade"), ("upgrade", "h2c")])
    attempt("host differs from :authority", [(":path", "/m-host"), ("host", "other.example")])
    attempt("NUL in a value", [(":path", "/m-nul"), ("x-a", "a\x00b")])
    attempt("te gzip", [(":path", "/m-te-gzip"), ("te", "gzip")])
    print(json.dumps(cases), flush=True)


def get(args):
    peer = Peer(args)
    extra = [("x-big", "b" * args.header_bytes)] if args.header_bytes else []
    if extra:
        # The server's SETTINGS (its header list size) hold once acknowledged: read and ACK
        # them first, as a client that waits for them does.
        peer.pump(lambda: peer.conn.remote_settings.max_header_list_size is not None, timeout=2)
        peer.pump(lambda: False, timeout=0.3)
    stream = peer.headers(args.path, extra)
    peer.pump(lambda: stream in peer.ended or stream in peer.resets or peer.goaway is not None, timeout=10)
    peer.report(body=peer.bodies.get(stream, 0))


def goaway_in_flight(args):
    """Finishes one request, starts a slow one (the backend's /__sleep/MS), says it is ready, then
    waits for the server's GOAWAY and the slow answer."""
    peer = Peer(args)
    stream = peer.headers("/before-goaway")
    peer.pump(lambda: stream in peer.ended, timeout=5)
    slow = peer.headers("/__sleep/1500")
    # The server reads frames in order: once it acknowledges a PING sent after the HEADERS,
    # the slow stream is open there, so the shutdown that follows finds it in flight (a
    # HEADERS read after the GOAWAY would be refused with REFUSED_STREAM instead).
    peer.conn.ping(b"inflight")
    peer.flush()
    peer.pump(lambda: peer.ping_acked, timeout=5)
    print(json.dumps({"ready": peer.ping_acked}), flush=True)
    peer.pump(lambda: peer.goaway is not None and (slow in peer.ended or slow in peer.resets), timeout=args.seconds)
    slow_ended = slow in peer.ended
    # After the stream in flight, the server's final GOAWAY and close follow.
    peer.pump(lambda: False, timeout=5)
    peer.report(slow=peer.answers.get(slow), slow_ended=slow_ended)


def many_then_goaway(args):
    """Sends --count requests one after the other on one connection, then waits for GOAWAY; with
    --count 0, waits idle for it."""
    peer = Peer(args)
    answered = 0
    for index in range(args.count):
        if peer.goaway is not None or peer.closed:
            break
        stream = peer.headers(f"/many-{index}")
        peer.pump(lambda: stream in peer.ended or stream in peer.resets, timeout=5)
        answered += peer.answers.get(stream) == 200
    started = time.time()
    peer.pump(lambda: peer.goaway is not None, timeout=args.seconds)
    peer.report(answered=answered, waited=round(time.time() - started, 2))


def sequence(args):
    """One request every --interval seconds on one connection, --count of them; prints each
    status as it comes (a line per request), then the report."""
    peer = Peer(args)
    statuses = []
    for index in range(args.count):
        stream = peer.headers(f"{args.path}?n={index}")
        peer.pump(lambda: stream in peer.ended or stream in peer.resets, timeout=5)
        statuses.append(peer.answers.get(stream))
        print(json.dumps({"n": index, "status": peer.answers.get(stream)}), flush=True)
        if args.until is not None and statuses[-1] == args.until:
            break
        time.sleep(args.interval)
    peer.report(sequence=statuses)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--tls", action="store_true")
    parser.add_argument("--authority", default="h")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, default in [("rapid-reset", 1000), ("continuation-flood", 10000), ("hpack-bomb", 0),
                          ("stream-limit", 200), ("settings-flood", 10000), ("smuggle", 0)]:
        command = sub.add_parser(name)
        command.add_argument("--count", type=int, default=default)
    command = sub.add_parser("get")
    command.add_argument("--path", default="/")
    command.add_argument("--header-bytes", type=int, default=0, help="one x-big field this long")
    command = sub.add_parser("many-then-goaway")
    command.add_argument("--count", type=int, default=0)
    command.add_argument("--seconds", type=float, default=10)
    command = sub.add_parser("sequence")
    command.add_argument("--count", type=int, default=5)
    command.add_argument("--interval", type=float, default=0.5)
    command.add_argument("--path", default="/")
    command.add_argument("--until", type=int, help="stop after the first answer with this status")
    command = sub.add_parser("goaway-in-flight")
    command.add_argument("--seconds", type=float, default=10)
    args = parser.parse_args()
    {"rapid-reset": rapid_reset, "continuation-flood": continuation_flood, "hpack-bomb": hpack_bomb,
     "stream-limit": stream_limit, "settings-flood": settings_flood, "smuggle": smuggle, "get": get,
     "goaway-in-flight": goaway_in_flight, "many-then-goaway": many_then_goaway,
     "sequence": sequence}[args.command](args)


if __name__ == "__main__":
    main()
