"""A fake Lambda Runtime API (2018-06-01) for testing runtime clients without stepfn's server.

    api = FakeRuntimeApi()            # listens on 127.0.0.1, a free port
    api.push({"a": 1})                # queue an invocation; returns its request id
    ... start a runtime with AWS_LAMBDA_RUNTIME_API=api.address ...
    result = api.wait_result(request_id)   # what the runtime posted: kind, body, headers
    api.close()

GET /runtime/invocation/next parks until an event is queued (as AWS's does). Posts are
recorded; a post for an unknown request id or a second post for one gets 400
InvalidRequestID / InvalidStateTransition, as the real API answers. Standard library only.
"""

import http.server
import json
import socket
import socketserver
import threading
import time
import uuid

_PREFIX = "/2018-06-01/runtime"


class Posted:
    """One thing a runtime posted: kind is "response", "error" or "init_error"."""

    def __init__(self, kind, request_id, body, headers, connection):
        self.kind = kind
        self.request_id = request_id
        self.body = body
        self.headers = headers
        self.connection = connection  # the id of the TCP connection it came on

    def json(self):
        return json.loads(self.body)

    def __repr__(self):
        return "Posted(%s, %s, %r)" % (self.kind, self.request_id, self.body[:200])


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # a runtime that went away mid-request (killed by a test) is not news


class FakeRuntimeApi:
    def __init__(self, deadline_ms_from_now=3000, close_connections=False, chunked=False):
        self._lock = threading.Condition()
        self._queue = []
        self._pending = {}  # request id -> event sent, not yet answered
        self._answered = set()
        self.posts = []  # Posted, in order
        self.next_connections = []  # the connection id of each /next served
        self.connections = 0
        self._closed = False
        self._deadline_ms_from_now = deadline_ms_from_now
        # Answer every request with "Connection: close" and close (clients must reconnect).
        self.close_connections = close_connections
        # Send bodies chunked, a few bytes per chunk and write (clients must put them together).
        self.chunked = chunked
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # Headers and body leave in separate writes: without this, Nagle's algorithm
                # and the client's delayed ACK hold the body for ~40 ms.
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with api._lock:
                    api.connections += 1
                    self.connection_id = api.connections

            def log_message(self, format, *args):
                pass

            def _reply(self, status, body=b"", headers=None):
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                if api.close_connections:
                    self.send_header("Connection", "close")
                    self.close_connection = True
                if api.chunked and body:
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    self.wfile.flush()
                    for start in range(0, len(body), 7):
                        piece = body[start : start + 7]
                        self.wfile.write(b"%x;ext=1\r\n%s\r\n" % (len(piece), piece))
                        self.wfile.flush()
                    self.wfile.write(b"0\r\n\r\n")
                    return
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _error(self, status, error_type, message):
                body = json.dumps({"errorMessage": message, "errorType": error_type}).encode()
                self._reply(status, body, {"Content-Type": "application/json"})

            def do_GET(self):
                if self.path != _PREFIX + "/invocation/next":
                    self._error(404, "InvalidRequest", "unknown path " + self.path)
                    return
                event = api._take(self.connection_id)
                if event is None:  # closing
                    self._error(500, "Runtime.Closed", "the fake API is closing")
                    return
                self._reply(200, event["body"], event["headers"])

            def do_POST(self):
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length) if length else b""
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    body = self._read_chunked()
                headers = {k: v for k, v in self.headers.items()}
                if self.path == _PREFIX + "/init/error":
                    api._record(Posted("init_error", None, body, headers, self.connection_id))
                    self._reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})
                    return
                parts = self.path[len(_PREFIX) :].split("/")
                # ["", "invocation", id, "response"|"error"]
                if (
                    not self.path.startswith(_PREFIX)
                    or len(parts) != 4
                    or parts[1] != "invocation"
                    or parts[3] not in ("response", "error")
                ):
                    self._error(404, "InvalidRequest", "unknown path " + self.path)
                    return
                request_id = parts[2]
                with api._lock:
                    if request_id in api._answered:
                        status = "answered"
                    elif request_id not in api._pending:
                        status = "unknown"
                    else:
                        status = "ok"
                        del api._pending[request_id]
                        api._answered.add(request_id)
                if status == "unknown":
                    self._error(400, "InvalidRequestID", "Invalid request ID")
                    return
                if status == "answered":
                    self._error(400, "InvalidStateTransition", "State transition is not allowed")
                    return
                api._record(Posted(parts[3], request_id, body, headers, self.connection_id))
                self._reply(202, b'{"status":"OK"}', {"Content-Type": "application/json"})

            def _read_chunked(self):
                data = b""
                while True:
                    size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                    if size == 0:
                        self.rfile.readline()
                        return data
                    data += self.rfile.read(size)
                    self.rfile.readline()

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.address = "127.0.0.1:%d" % self._server.server_address[1]

    # -- the test's side -----------------------------------------------------------------------

    def push(self, payload, request_id=None, deadline_ms=None, function_arn=None, trace_id=None,
             client_context=None, cognito_identity=None, content_type="application/json"):
        """Queues one invocation. payload: bytes/str as is, anything else as JSON. Returns the
        request id."""
        request_id = request_id or str(uuid.uuid4())
        if isinstance(payload, bytes):
            body = payload
        elif isinstance(payload, str):
            body = payload.encode("utf-8")
        else:
            body = json.dumps(payload).encode("utf-8")
        if deadline_ms is None:
            deadline_ms = int(time.time() * 1000) + self._deadline_ms_from_now
        headers = {
            "Content-Type": content_type,
            "Lambda-Runtime-Aws-Request-Id": request_id,
            "Lambda-Runtime-Deadline-Ms": str(deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": function_arn
            or "arn:aws:lambda:us-east-1:123456789012:function:test",
        }
        if trace_id is not None:
            headers["Lambda-Runtime-Trace-Id"] = trace_id
        if client_context is not None:
            headers["Lambda-Runtime-Client-Context"] = json.dumps(client_context)
        if cognito_identity is not None:
            headers["Lambda-Runtime-Cognito-Identity"] = json.dumps(cognito_identity)
        with self._lock:
            self._queue.append({"id": request_id, "body": body, "headers": headers})
            self._lock.notify_all()
        return request_id

    def wait_result(self, request_id, timeout=20.0):
        """The response or error posted for request_id; None after timeout."""
        return self._wait(lambda p: p.request_id == request_id and p.kind != "init_error", timeout)

    def wait_init_error(self, timeout=20.0):
        return self._wait(lambda p: p.kind == "init_error", timeout)

    def _wait(self, match, timeout):
        end = time.monotonic() + timeout
        with self._lock:
            while True:
                for posted in self.posts:
                    if match(posted):
                        return posted
                left = end - time.monotonic()
                if left <= 0:
                    return None
                self._lock.wait(left)

    def close(self):
        with self._lock:
            self._closed = True
            self._lock.notify_all()
        self._server.shutdown()
        self._server.server_close()

    # -- the server's side ---------------------------------------------------------------------

    def _take(self, connection_id):
        with self._lock:
            while not self._queue and not self._closed:
                self._lock.wait(0.5)
            if self._closed:
                return None
            event = self._queue.pop(0)
            self._pending[event["id"]] = event
            self.next_connections.append(connection_id)
            return event

    def _record(self, posted):
        with self._lock:
            self.posts.append(posted)
            self._lock.notify_all()
