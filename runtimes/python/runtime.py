"""stepfn's runtime client for python3.* Lambda functions.

stepfn starts one of these per execution environment as `python3 runtime.py`, with the working
directory set to the function's code (LAMBDA_TASK_ROOT) and the environment AWS Lambda sets
(_HANDLER, AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_NAME, ...). It loads the handler, then
loops on the Lambda Runtime API (2018-06-01): GET /runtime/invocation/next, call the handler,
POST /runtime/invocation/<id>/response or /error. Import failures are posted to
/runtime/init/error and end the process.

Standard library only, and one file: stepfn embeds it in its binary. It speaks the Runtime API
as AWS documents it, so it runs against AWS's own Runtime API too. Requests, errors, the context
object and log lines follow what AWS's Python runtime does; runtimes/README.md lists the
differences.
"""

import decimal
import importlib
import json
import logging
import math
import os
import socket
import sys
import time
import traceback

_API_PREFIX = "/2018-06-01/runtime"
_RUNTIME_FILE = os.path.abspath(__file__)


# ---------------------------------------------------------------------------------------------
# Output: print() and logging reach the logs at once.


class _Unbuffered:
    """Wraps a text stream so that every write is flushed (print() appears in the logs at once,
    not when the process exits)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text):
        count = self._stream.write(text)
        self._stream.flush()
        return count

    def writelines(self, lines):
        self._stream.writelines(lines)
        self._stream.flush()

    def __getattr__(self, name):
        return getattr(self._stream, name)


_current_request_id = ""


class _RequestIdFilter(logging.Filter):
    def filter(self, record):
        record.aws_request_id = _current_request_id
        return True


class _StdoutHandler(logging.Handler):
    def emit(self, record):
        try:
            sys.stdout.write(self.format(record))
        except Exception:  # logging must never break the invocation
            self.handleError(record)


def _setup_logging():
    logging.Formatter.converter = time.gmtime
    handler = _StdoutHandler()
    handler.setFormatter(
        logging.Formatter(
            "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s\n",
            "%Y-%m-%dT%H:%M:%S",
        )
    )
    handler.addFilter(_RequestIdFilter())
    root = logging.getLogger()
    level = os.environ.get("AWS_LAMBDA_LOG_LEVEL", "").upper()
    if level in ("TRACE", "DEBUG", "INFO", "WARN", "WARNING", "ERROR", "FATAL", "CRITICAL"):
        root.setLevel({"TRACE": "DEBUG", "WARN": "WARNING", "FATAL": "CRITICAL"}.get(level, level))
    root.addHandler(handler)


def _log_error(error):
    """Writes an error as AWS's runtime logs it: "[ERROR] Type: message", then the traceback."""
    line = "[ERROR]"
    if error.get("errorType"):
        line += " " + error["errorType"]
    if error.get("errorMessage"):
        if error.get("errorType"):
            line += ":"
        line += " " + error["errorMessage"]
    lines = [line]
    stack = error.get("stackTrace")
    if stack is not None:
        lines.append("Traceback (most recent call last):")
        for element in stack:
            lines.extend(element.splitlines() if element else [""])
    sys.stdout.write("\n".join(lines) + "\n")


# ---------------------------------------------------------------------------------------------
# JSON as AWS's runtime writes it.


class _Encoder(json.JSONEncoder):
    def default(self, o):
        if isinstance(o, decimal.Decimal):
            if o.is_nan():
                return math.nan
            return int(o) if o == o.to_integral_value() else float(o)
        return super().default(o)


def _ascii_only():
    # Python 3.12 and later runtimes write non-ASCII characters as they are; earlier ones escape.
    env = os.environ.get("AWS_EXECUTION_ENV", "")
    prefix = "AWS_Lambda_python3."
    if env.startswith(prefix):
        try:
            return int(env[len(prefix) :]) < 12
        except ValueError:
            pass
    return sys.version_info < (3, 12)


_ENCODER = _Encoder(ensure_ascii=_ascii_only())


def _to_json(value):
    return _ENCODER.encode(value)


# ---------------------------------------------------------------------------------------------
# The Runtime API client: one kept-alive HTTP/1.1 connection.


class _RuntimeApiError(Exception):
    pass


class _ConnectionClosed(Exception):
    """The server closed the connection; `early`: before any byte of the response."""

    def __init__(self, early):
        super().__init__("the Runtime API closed the connection")
        self.early = early


def _header_value(text):
    """A header value from any text: ASCII (others escaped), without line breaks."""
    text = str(text).encode("ascii", "backslashreplace").decode("ascii")
    return "".join(c for c in text if " " <= c <= "~")


_MAX_HEAD = 64 * 1024


class _RuntimeClient:
    """HTTP/1.1 over one kept-alive socket, just what the Runtime API needs: a request is one
    send, a response is read with as few reads as it arrives in. (http.client costs several
    times more per request: email header parsing, a buffered file, one send per piece.)
    Responses with Content-Length, chunked, or ended by the server closing are understood."""

    def __init__(self, address):
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise _RuntimeApiError("AWS_LAMBDA_RUNTIME_API is not host:port: %r" % address)
        self._host = host.strip("[]")
        self._port = int(port)
        self._host_line = "Host: " + address + "\r\n"
        self._sock = None
        self._buf = b""
        # stepfn's Runtime API answers pipelined requests in order: a result is then sent with the
        # next GET /next right behind it (one send, one wake-up of each side less per
        # invocation), and that GET's answer is kept here for next(). AWS's is never asked to.
        self._pipelining = os.environ.get("STEPFN_RUNTIME_API_PIPELINING") == "1"
        self._next_request = self._encode("GET", _API_PREFIX + "/invocation/next")
        self._next_answer = None

    def _connect(self):
        self._sock = socket.create_connection((self._host, self._port))
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = b""

    def _close(self):
        if self._sock is not None:
            try:
                self._sock.close()
            except OSError:
                pass
        self._sock = None
        self._buf = b""

    def _encode(self, method, path, body=None, headers=None):
        head = method + " " + path + " HTTP/1.1\r\n" + self._host_line
        if body is None:
            body = b""
        if body or method != "GET":
            head += "Content-Length: %d\r\n" % len(body)
        if headers:
            for name, value in headers.items():
                head += name + ": " + value + "\r\n"
        return (head + "\r\n").encode("latin-1") + body

    def _request(self, method, path, body=None, headers=None, then_next=False):
        """Sends one request; returns (status, headers with lower-case names, body bytes).
        Reconnects once when the kept-alive connection was closed by the other side.
        `then_next`: GET /next goes right behind it; its answer is kept for next()."""
        data = self._encode(method, path, body, headers)
        if then_next:
            data += self._next_request
        for attempt in (0, 1):
            reused = self._sock is not None
            try:
                if self._sock is None:
                    self._connect()
                self._sock.sendall(data)
                answer = self._response(method)
            except (_ConnectionClosed, BrokenPipeError, ConnectionResetError) as e:
                self._close()
                early = not isinstance(e, _ConnectionClosed) or e.early
                if attempt == 1 or not reused or not early:
                    raise _RuntimeApiError("Runtime API connection lost: %s" % e)
            except OSError as e:
                self._close()
                raise _RuntimeApiError("Runtime API unreachable: %s" % e)
            else:
                if then_next and self._sock is not None:
                    try:
                        self._next_answer = self._response("GET")
                    except (_ConnectionClosed, OSError):
                        self._close()  # next() asks again, on a new connection
                return answer
        raise _RuntimeApiError("unreachable")

    def _fill(self, early):
        data = self._sock.recv(65536)
        if not data:
            raise _ConnectionClosed(early)
        self._buf += data

    def _response(self, method):
        while True:
            end = self._buf.find(b"\r\n\r\n")
            while end < 0:
                if len(self._buf) > _MAX_HEAD:
                    raise _RuntimeApiError("Runtime API response headers are too large")
                self._fill(not self._buf)
                end = self._buf.find(b"\r\n\r\n")
            lines = self._buf[:end].decode("latin-1").split("\r\n")
            self._buf = self._buf[end + 4 :]
            version, _, rest = lines[0].partition(" ")
            code = rest[:3]
            if not version.startswith("HTTP/1.") or not code.isdigit():
                raise _RuntimeApiError("Runtime API sent a malformed status line: %r" % lines[0][:100])
            status = int(code)
            headers = {}
            for line in lines[1:]:
                name, colon, value = line.partition(":")
                if not colon:
                    raise _RuntimeApiError("Runtime API sent a malformed header: %r" % line[:100])
                headers.setdefault(name.strip().lower(), value.strip())
            if status >= 200:
                break  # a 1xx (100 Continue) is followed by the real response
        connection = headers.get("connection", "").lower()
        close = "close" in connection or (version == "HTTP/1.0" and "keep-alive" not in connection)
        if status in (204, 304) or method == "HEAD":
            body = b""
        elif "chunked" in headers.get("transfer-encoding", "").lower():
            body = self._chunked()
        elif "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise _RuntimeApiError("Runtime API sent a malformed Content-Length")
            while len(self._buf) < length:
                self._fill(False)
            body, self._buf = self._buf[:length], self._buf[length:]
        else:  # the body runs to the end of the connection
            while True:
                try:
                    self._fill(False)
                except _ConnectionClosed:
                    break
            body, self._buf = self._buf, b""
            close = True
        if close:
            self._close()
        return status, headers, body

    def _line(self):
        end = self._buf.find(b"\r\n")
        while end < 0:
            if len(self._buf) > _MAX_HEAD:
                raise _RuntimeApiError("Runtime API sent an overlong chunk line")
            self._fill(False)
            end = self._buf.find(b"\r\n")
        line, self._buf = self._buf[:end], self._buf[end + 2 :]
        return line

    def _chunked(self):
        parts = []
        while True:
            size_text = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise _RuntimeApiError("Runtime API sent a malformed chunk size")
            if size == 0:
                while self._line():  # trailers, up to the blank line
                    pass
                return b"".join(parts)
            while len(self._buf) < size + 2:
                self._fill(False)
            parts.append(self._buf[:size])
            self._buf = self._buf[size + 2 :]

    def _post(self, path, body, headers, then_next=False):
        status, _, data = self._request("POST", path, body, headers, then_next)
        if status >= 500:
            # AWS: a 500 is a non-recoverable state; the runtime exits promptly.
            raise _RuntimeApiError("Runtime API answered %d to POST %s: %r" % (status, path, data[:200]))
        if status >= 300:
            sys.stderr.write("Runtime API answered %d to POST %s: %s\n" % (status, path, data[:500].decode("utf-8", "replace")))

    def next(self):
        if self._next_answer is not None:
            status, headers, body = self._next_answer
            self._next_answer = None
        else:
            status, headers, body = self._request("GET", _API_PREFIX + "/invocation/next")
        if status != 200:
            raise _RuntimeApiError("Runtime API answered %d to /invocation/next: %r" % (status, body[:200]))
        return headers, body

    def post_response(self, request_id, body, content_type):
        self._post(
            _API_PREFIX + "/invocation/" + request_id + "/response",
            body,
            {"Content-Type": content_type},
            self._pipelining,
        )

    def post_error(self, request_id, error, xray_cause=None):
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Function-Error-Type": _header_value(error.get("errorType") or "Unhandled"),
        }
        if xray_cause is not None:
            cause = json.dumps(xray_cause, default=str)  # ASCII, one line
            if len(cause) < 1024 * 1024:
                headers["Lambda-Runtime-Function-XRay-Error-Cause"] = cause
        self._post(
            _API_PREFIX + "/invocation/" + request_id + "/error",
            _to_json(error).encode("utf-8"),
            headers,
            self._pipelining,
        )

    def post_init_error(self, error):
        self._post(
            _API_PREFIX + "/init/error",
            _to_json(error).encode("utf-8"),
            {
                "Content-Type": "application/json",
                "Lambda-Runtime-Function-Error-Type": _header_value(error.get("errorType") or "Unhandled"),
            },
        )


# ---------------------------------------------------------------------------------------------
# The handler and its errors.


class _Fault(Exception):
    """An error the runtime reports under its own type (Runtime.ImportModuleError, ...)."""

    def __init__(self, error_type, message, trace=None):
        super().__init__(message)
        self.error_type = error_type
        self.message = message
        self.trace = trace


def _make_error(message, error_type, stack_trace, request_id=None):
    return {
        "errorMessage": message if message else "",
        "errorType": error_type if error_type else "",
        "requestId": request_id if request_id is not None else "",
        "stackTrace": stack_trace if stack_trace else [],
    }


def _user_frames(tb):
    """The traceback's frames from the first one outside this file (the handler's)."""
    frames = traceback.extract_tb(tb)
    for index, frame in enumerate(frames):
        if frame.filename != _RUNTIME_FILE:
            return frames[index:]
    return frames


def _error_from_exception(exc_type, value, tb, request_id=None):
    frames = _user_frames(tb)
    error = _make_error(str(value), exc_type.__name__, traceback.format_list(frames), request_id)
    xray = {
        "working_directory": os.getcwd(),
        "exceptions": [
            {
                "message": str(value),
                "type": exc_type.__name__,
                "stack": [{"label": f.name, "path": f.filename, "line": f.lineno} for f in frames],
            }
        ],
        "paths": sorted({f.filename for f in frames}),
    }
    return error, xray


def _load_handler(handler):
    try:
        module_name, function_name = handler.rsplit(".", 1)
    except ValueError as e:
        raise _Fault("Runtime.MalformedHandlerName", "Bad handler '{}': {}".format(handler, e))
    if module_name.split(".")[0] in sys.builtin_module_names:
        raise _Fault(
            "Runtime.BuiltInModuleConflict",
            "Cannot use built-in module {} as a handler module".format(module_name),
        )
    try:
        module = importlib.import_module(module_name.replace("/", "."))
    except ImportError as e:
        raise _Fault(
            "Runtime.ImportModuleError",
            "Unable to import module '{}': {}".format(module_name, e),
        )
    except SyntaxError as e:
        trace = ['  File "%s" Line %s\n    %s' % (e.filename, e.lineno, e.text)]
        raise _Fault(
            "Runtime.UserCodeSyntaxError",
            "Syntax error in module '{}': {}".format(module_name, e),
            trace,
        )
    try:
        return getattr(module, function_name)
    except AttributeError:
        raise _Fault(
            "Runtime.HandlerNotFound",
            "Handler '{}' missing on module '{}'".format(function_name, module_name),
        )


# ---------------------------------------------------------------------------------------------
# The context object, as AWS's Python runtime builds it.


class CognitoIdentity:
    __slots__ = ["cognito_identity_id", "cognito_identity_pool_id"]

    def __repr__(self):
        return "CognitoIdentity([cognito_identity_id={},cognito_identity_pool_id={}])".format(
            self.cognito_identity_id, self.cognito_identity_pool_id
        )


class Client:
    __slots__ = [
        "installation_id",
        "app_title",
        "app_version_name",
        "app_version_code",
        "app_package_name",
    ]

    def __repr__(self):
        return "Client([{}])".format(",".join("%s=%s" % (k, getattr(self, k)) for k in self.__slots__))


class ClientContext:
    __slots__ = ["custom", "env", "client"]

    def __repr__(self):
        return "ClientContext([custom={},env={},client={}])".format(self.custom, self.env, self.client)


def _object_from_dict(cls, values):
    if values is None:
        return None
    obj = cls()
    for field in cls.__slots__:
        setattr(obj, field, values.get(field) if isinstance(values, dict) else None)
    return obj


class LambdaContext:
    def __init__(self, request_id, client_context, cognito_identity, deadline_ms, function_arn, tenant_id):
        self.aws_request_id = request_id
        self.log_group_name = os.environ.get("AWS_LAMBDA_LOG_GROUP_NAME")
        self.log_stream_name = os.environ.get("AWS_LAMBDA_LOG_STREAM_NAME")
        self.function_name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME")
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION")
        self.invoked_function_arn = function_arn
        self.tenant_id = tenant_id
        self.client_context = _object_from_dict(ClientContext, client_context)
        if self.client_context is not None:
            self.client_context.client = _object_from_dict(Client, self.client_context.client)
        self.identity = _object_from_dict(CognitoIdentity, {})
        if isinstance(cognito_identity, dict):
            self.identity.cognito_identity_id = cognito_identity.get("cognitoIdentityId")
            self.identity.cognito_identity_pool_id = cognito_identity.get("cognitoIdentityPoolId")
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        remaining = self._deadline_ms - int(time.time() * 1000)
        return remaining if remaining > 0 else 0

    def log(self, msg):
        sys.stdout.write(str(msg))

    def __repr__(self):
        return (
            "LambdaContext([aws_request_id={},log_group_name={},log_stream_name={},"
            "function_name={},memory_limit_in_mb={},function_version={},invoked_function_arn={},"
            "client_context={},identity={},tenant_id={}])"
        ).format(
            self.aws_request_id,
            self.log_group_name,
            self.log_stream_name,
            self.function_name,
            self.memory_limit_in_mb,
            self.function_version,
            self.invoked_function_arn,
            self.client_context,
            self.identity,
            self.tenant_id,
        )


def _parse_json_header(value, name):
    try:
        return json.loads(value)
    except Exception as e:
        raise _Fault(
            "Runtime.LambdaContextUnmarshalError",
            "Unable to parse {} JSON: {}".format(name, e),
        )


# ---------------------------------------------------------------------------------------------
# One invocation.


def _invoke(client, handler, headers, body):
    global _current_request_id
    request_id = headers.get("lambda-runtime-aws-request-id", "")
    _current_request_id = request_id
    trace_id = headers.get("lambda-runtime-trace-id")
    if trace_id is not None:
        os.environ["_X_AMZN_TRACE_ID"] = trace_id
    else:
        os.environ.pop("_X_AMZN_TRACE_ID", None)

    error = None
    xray = None
    try:
        try:
            deadline_ms = int(headers.get("lambda-runtime-deadline-ms", "0"))
        except ValueError:
            deadline_ms = 0
        client_context = headers.get("lambda-runtime-client-context")
        cognito_identity = headers.get("lambda-runtime-cognito-identity")
        context = LambdaContext(
            request_id,
            _parse_json_header(client_context, "Client Context") if client_context else None,
            _parse_json_header(cognito_identity, "Cognito Identity") if cognito_identity else None,
            deadline_ms,
            headers.get("lambda-runtime-invoked-function-arn"),
            headers.get("lambda-runtime-aws-tenant-id"),
        )
        content_type = headers.get("content-type", "application/json")
        if content_type == "application/json":
            try:
                # No payload at all: the event is {} (what AWS hands a function invoked without one).
                event = json.loads(body) if body else {}
            except Exception as e:
                raise _Fault("Runtime.UnmarshalError", "Unable to unmarshal input: {}".format(e))
        else:
            event = body
        result = handler(event, context)
        if isinstance(result, bytes):
            payload, payload_type = result, "application/unknown"
        else:
            try:
                payload, payload_type = _to_json(result).encode("utf-8"), "application/json"
            except Exception as e:
                raise _Fault("Runtime.MarshalError", "Unable to marshal response: {}".format(e))
    except _Fault as fault:
        error = _make_error(fault.message, fault.error_type, fault.trace, request_id)
        xray = {
            "working_directory": os.getcwd(),
            "exceptions": [{"message": fault.message, "type": "LambdaValidationError", "stack": []}],
            "paths": [],
        }
    except Exception as e:  # as AWS: SystemExit ends the runtime (Runtime.ExitError)
        error, xray = _error_from_exception(type(e), e, e.__traceback__, request_id)

    if error is not None:
        _log_error(error)
        client.post_error(request_id, error, xray)
    else:
        client.post_response(request_id, payload, payload_type)


def _prepare_sys_path():
    # `python3 runtime.py` puts this file's folder first on sys.path; the function's code must
    # come first instead (AWS: LAMBDA_TASK_ROOT, then /opt/python for layers).
    runtime_dir = os.path.dirname(_RUNTIME_FILE)
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != runtime_dir]
    task_root = os.environ.get("LAMBDA_TASK_ROOT") or os.getcwd()
    for extra in reversed([task_root, "/opt/python"]):
        if extra not in sys.path:
            sys.path.insert(0, extra)


def main():
    sys.stdout = _Unbuffered(sys.stdout)
    sys.stderr = _Unbuffered(sys.stderr)
    _setup_logging()
    _prepare_sys_path()

    address = os.environ.get("AWS_LAMBDA_RUNTIME_API")
    if not address:
        sys.stderr.write("AWS_LAMBDA_RUNTIME_API is not set\n")
        return 1
    try:
        client = _RuntimeClient(address)
    except _RuntimeApiError as e:
        sys.stderr.write("%s\n" % e)
        return 1

    try:
        handler = _load_handler(os.environ.get("_HANDLER", ""))
    except _Fault as fault:
        error = _make_error(fault.message, fault.error_type, fault.trace)
    except Exception as e:  # an exception raised by the module's own top-level code
        error, _ = _error_from_exception(type(e), e, e.__traceback__)
    else:
        error = None
    if error is not None:
        _log_error(error)
        try:
            client.post_init_error(error)
        except _RuntimeApiError as e:
            sys.stderr.write("%s\n" % e)
        return 1

    try:
        while True:
            headers, body = client.next()
            _invoke(client, handler, headers, body)
    except _RuntimeApiError as e:
        sys.stderr.write("%s\n" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
