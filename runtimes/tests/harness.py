"""Shared by the runtime tests: a function's code in a temporary folder, and a runtime process
started against a FakeRuntimeApi with the environment stepfn (and AWS) gives it."""

import os
import shutil
import subprocess
import tempfile
import time

from fake_runtime_api import FakeRuntimeApi

RUNTIMES = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPO = os.path.dirname(RUNTIMES)
PYTHON_RUNTIME = os.path.join(RUNTIMES, "python", "runtime.py")
NODE_RUNTIME = os.path.join(RUNTIMES, "node", "runtime.js")


def function_env(api, handler, task_root, runtime, extra=None):
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "AWS_LAMBDA_RUNTIME_API": api.address,
        "_HANDLER": handler,
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": RUNTIMES,
        "AWS_LAMBDA_FUNCTION_NAME": "test",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
        "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/test",
        "AWS_LAMBDA_LOG_STREAM_NAME": "2026/11/26/[$LATEST]0123456789abcdef0123456789abcdef",
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": "AWS_Lambda_" + runtime,
    }
    env.update(extra or {})
    return env


class RunningFunction:
    """A runtime process serving one function's code against its own FakeRuntimeApi."""

    def __init__(self, command, files, handler, runtime, extra_env=None, close_connections=False,
                 chunked=False):
        self.dir = tempfile.mkdtemp(prefix="stepfn-fn-")
        for name, text in files.items():
            path = os.path.join(self.dir, name)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "w") as f:
                f.write(text)
        self.api = FakeRuntimeApi(close_connections=close_connections, chunked=chunked)
        self.log_path = os.path.join(self.dir, ".log")
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(
            command,
            cwd=self.dir,
            env=function_env(self.api, handler, self.dir, runtime, extra_env),
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def invoke(self, payload, **kwargs):
        """Queues an invocation and waits for its answer (a Posted, or None on timeout)."""
        timeout = kwargs.pop("timeout", 20.0)
        request_id = self.api.push(payload, **kwargs)
        return self.api.wait_result(request_id, timeout)

    def logs(self):
        self._log.flush()
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def wait_logs(self, text, timeout=10.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if text in self.logs():
                return True
            time.sleep(0.02)
        return False

    def wait_exit(self, timeout=20.0):
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.api.close()
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)
