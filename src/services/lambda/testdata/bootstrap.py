# A `provided` runtime for environments_test: speaks the Lambda Runtime API over one kept-alive
# connection and does what each event's "action" says (echo, crash, hang, print, ...). The test
# writes it as <code_dir>/bootstrap with this machine's python3 in its first line.
import http.client
import json
import os
import sys
import time

API = os.environ["AWS_LAMBDA_RUNTIME_API"]
HOST, PORT = API.rsplit(":", 1)
PREFIX = "/2018-06-01/runtime"

if os.environ.get("INIT_FAIL"):
    c = http.client.HTTPConnection(HOST, int(PORT))
    c.request("POST", PREFIX + "/init/error",
              body=json.dumps({"errorType": "Runtime.TestInitError",
                               "errorMessage": "init failed on purpose"}),
              headers={"Lambda-Runtime-Function-Error-Type": "Runtime.TestInitError"})
    c.getresponse().read()
    sys.exit(1)
if os.environ.get("INIT_EXIT"):
    sys.exit(3)

conn = http.client.HTTPConnection(HOST, int(PORT))


def call(method, path, body=None, headers=None):
    conn.request(method, path, body=body, headers=headers or {})
    r = conn.getresponse()
    return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()


while True:
    status, headers, body = call("GET", PREFIX + "/invocation/next")
    rid = headers["lambda-runtime-aws-request-id"]
    base = PREFIX + "/invocation/" + rid
    event = json.loads(body)
    action = event.get("action", "echo") if isinstance(event, dict) else "echo"
    out = None
    if action == "echo":
        out = {"pid": os.getpid(), "event": event,
               "headers": {k: v for k, v in headers.items() if k.startswith("lambda-")}}
    elif action == "env":
        out = {"env": dict(os.environ), "cwd": os.getcwd()}
    elif action == "print":
        print("hello from the function", rid, flush=True)
        print("no newline at the end", end="", flush=True)
        out = {"ok": True}
    elif action == "sleep":
        time.sleep(event["ms"] / 1000.0)
        out = {"pid": os.getpid()}
    elif action == "exit":
        print("exiting now", flush=True)
        os._exit(1)
    elif action == "hang":
        child = os.fork()
        if child == 0:
            time.sleep(1000)
            os._exit(0)
        with open(event["pidfile"], "w") as f:
            f.write(str(child))
        time.sleep(1000)
    elif action == "garbage":
        w = sys.stdout.buffer
        w.write(b"bad \xff\xfe bytes \xc3\n")
        line = b"x" * 1000 + b"\n"
        for _ in range(event.get("kb", 5000)):
            w.write(line)
        w.write(b"y" * (600 * 1024) + b"\n")
        w.flush()
        out = {"ok": True}
    elif action == "big":
        out = "z" * (event["mb"] * 1024 * 1024)
    elif action == "memory":
        blocks = []
        for _ in range(60):
            blocks.append(bytearray(b"\x01" * (10 * 1024 * 1024)))
        time.sleep(3)  # holds it: the limit is polled
        out = {"survived": True}
    elif action == "error":
        call("POST", base + "/error",
             json.dumps({"errorType": "MyError", "errorMessage": "it failed", "stackTrace": []}),
             {"Lambda-Runtime-Function-Error-Type": "MyError"})
        continue
    elif action == "protocol":
        s1, _, b1 = call("POST", PREFIX + "/invocation/not-an-id/response", "{}")
        s2, _, _ = call("POST", base + "/response", json.dumps({"first": True}))
        s3, _, b3 = call("POST", base + "/response", "{}")
        s4, _, _ = call("GET", PREFIX + "/nowhere")
        print("protocol", s1, s2, s3, s4, b1.decode(), b3.decode(), flush=True)
        continue
    call("POST", base + "/response", json.dumps(out))
