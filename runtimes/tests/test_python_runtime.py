"""runtimes/python/runtime.py against the fake Runtime API (python3 -m unittest)."""

import json
import os
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import PYTHON_RUNTIME, RunningFunction  # noqa: E402


class PythonRuntimeTest(unittest.TestCase):
    def run_function(self, files, handler="app.handler", extra_env=None, close_connections=False,
                     chunked=False):
        fn = RunningFunction([sys.executable, PYTHON_RUNTIME], files, handler, "python3.12",
                             extra_env, close_connections, chunked)
        self.addCleanup(fn.close)
        return fn

    def test_echo_many_invocations_on_one_connection(self):
        fn = self.run_function({"app.py": "def handler(event, context):\n    return event\n"})
        for index in range(50):
            posted = fn.invoke({"n": index, "s": "é"})
            self.assertIsNotNone(posted, fn.logs())
            self.assertEqual(posted.kind, "response")
            self.assertEqual(posted.json(), {"n": index, "s": "é"})
            self.assertEqual(posted.headers.get("Content-Type"), "application/json")
        # Every /next and every post came over the first connection.
        self.assertEqual(set(fn.api.next_connections), {1})
        self.assertEqual({p.connection for p in fn.api.posts}, {1})
        self.assertEqual(fn.api.connections, 1)

    def test_reconnects_when_the_api_closes_connections(self):
        fn = self.run_function({"app.py": "def handler(event, context):\n    return event\n"},
                               close_connections=True)
        for index in range(5):
            self.assertEqual(fn.invoke([index]).json(), [index])
        self.assertGreaterEqual(fn.api.connections, 10)

    def test_pipelining_sends_next_behind_each_result(self):
        # As stepfn runs it: the next GET /next rides behind each result, on the one connection.
        fn = self.run_function(
            {"app.py": "def handler(event, context):\n"
                       "    if event.get('fail'):\n"
                       "        raise ValueError('no')\n"
                       "    return event\n"},
            extra_env={"STEPFN_RUNTIME_API_PIPELINING": "1"})
        for index in range(20):
            event = {"n": index, "fail": index % 5 == 4}
            posted = fn.invoke(event)
            self.assertIsNotNone(posted, fn.logs())
            if event["fail"]:
                self.assertEqual(posted.kind, "error")
                self.assertEqual(posted.json()["errorType"], "ValueError")
            else:
                self.assertEqual(posted.kind, "response")
                self.assertEqual(posted.json(), event)
        self.assertEqual(set(fn.api.next_connections), {1})
        self.assertEqual(fn.api.connections, 1)
        self.assertEqual(len(fn.api.next_connections), 20)  # one per event (the 21st waits)

    def test_pipelining_when_the_api_closes_connections(self):
        # The GET behind a result is lost when the API closes after the result's answer: the
        # runtime asks again on a new connection, and never posts a result twice.
        fn = self.run_function({"app.py": "def handler(event, context):\n    return event\n"},
                               extra_env={"STEPFN_RUNTIME_API_PIPELINING": "1"},
                               close_connections=True)
        for index in range(5):
            self.assertEqual(fn.invoke([index]).json(), [index])
        self.assertEqual(len(fn.api.posts), 5)
        self.assertNotIn("answered", fn.logs())

    def test_chunked_responses_in_small_pieces(self):
        fn = self.run_function({"app.py": "def handler(event, context):\n    return event\n"},
                               chunked=True)
        for index in range(3):
            event = {"n": index, "text": "chunks " * 40}
            posted = fn.invoke(event)
            self.assertIsNotNone(posted, fn.logs())
            self.assertEqual(posted.json(), event)
        self.assertEqual(fn.api.connections, 1)

    def test_unicode_as_python_3_12_writes_it(self):
        fn = self.run_function({"app.py": "def handler(event, context):\n    return 'é'\n"})
        self.assertEqual(fn.invoke({}).body, '"é"'.encode("utf-8"))
        older = self.run_function(
            {"app.py": "def handler(event, context):\n    return 'é'\n"},
            extra_env={"AWS_EXECUTION_ENV": "AWS_Lambda_python3.11"},
        )
        self.assertEqual(older.invoke({}).body, b'"\\u00e9"')

    def test_exception_shape_matches_aws(self):
        code = 'def handler(event, context):\n    raise Exception("Some exception was raised.")\n'
        fn = self.run_function({"handler.py": code}, handler="handler.handler")
        request_id = fn.api.push({})
        posted = fn.api.wait_result(request_id)
        self.assertEqual(posted.kind, "error")
        path = os.path.join(fn.dir, "handler.py")
        self.assertEqual(
            posted.json(),
            {
                "errorMessage": "Some exception was raised.",
                "errorType": "Exception",
                "requestId": request_id,
                "stackTrace": [
                    '  File "%s", line 2, in handler\n'
                    '    raise Exception("Some exception was raised.")\n' % path
                ],
            },
        )
        self.assertEqual(posted.headers.get("Lambda-Runtime-Function-Error-Type"), "Exception")
        self.assertTrue(fn.wait_logs("[ERROR] Exception: Some exception was raised.\n"
                                     "Traceback (most recent call last):\n"
                                     '  File "%s", line 2, in handler\n' % path), fn.logs())
        # The runtime keeps serving after an error.
        self.assertEqual(fn.invoke({}).kind, "error")

    def test_custom_exception_and_nested_frames(self):
        code = (
            "class MyError(Exception):\n    pass\n\n"
            "def inner():\n    raise MyError('deep')\n\n"
            "def handler(event, context):\n    inner()\n"
        )
        fn = self.run_function({"app.py": code})
        error = fn.invoke({}).json()
        self.assertEqual(error["errorType"], "MyError")
        self.assertEqual(error["errorMessage"], "deep")
        self.assertEqual(len(error["stackTrace"]), 2)
        self.assertIn("in handler\n    inner()", error["stackTrace"][0])
        self.assertIn("in inner\n    raise MyError('deep')", error["stackTrace"][1])

    def test_non_ascii_exceptions(self):
        code = (
            "class Ошибка(Exception):\n    pass\n\n"
            "def handler(event, context):\n    raise Ошибка('€ 中文 \\r\\n x')\n"
        )
        fn = self.run_function({"app.py": code})
        for _ in range(2):
            posted = fn.invoke({})
            self.assertIsNotNone(posted, fn.logs())
            self.assertEqual(posted.json()["errorType"], "Ошибка")
            self.assertEqual(posted.json()["errorMessage"], "€ 中文 \r\n x")
            self.assertEqual(posted.headers.get("Lambda-Runtime-Function-Error-Type"),
                             "\\u041e\\u0448\\u0438\\u0431\\u043a\\u0430")

    def test_import_error(self):
        fn = self.run_function({"app.py": "import no_such_module_here\n"})
        posted = fn.api.wait_init_error()
        self.assertIsNotNone(posted, fn.logs())
        self.assertEqual(
            posted.json(),
            {
                "errorMessage": "Unable to import module 'app': No module named 'no_such_module_here'",
                "errorType": "Runtime.ImportModuleError",
                "requestId": "",
                "stackTrace": [],
            },
        )
        self.assertEqual(posted.headers.get("Lambda-Runtime-Function-Error-Type"),
                         "Runtime.ImportModuleError")
        self.assertEqual(fn.wait_exit(), 1)
        self.assertIn("[ERROR] Runtime.ImportModuleError: Unable to import module 'app'", fn.logs())

    def test_missing_module(self):
        fn = self.run_function({"other.py": ""}, handler="app.handler")
        self.assertEqual(fn.api.wait_init_error().json()["errorMessage"],
                         "Unable to import module 'app': No module named 'app'")
        self.assertEqual(fn.wait_exit(), 1)

    def test_missing_handler(self):
        fn = self.run_function({"app.py": "def other(event, context):\n    return 1\n"})
        error = fn.api.wait_init_error().json()
        self.assertEqual(error["errorType"], "Runtime.HandlerNotFound")
        self.assertEqual(error["errorMessage"], "Handler 'handler' missing on module 'app'")
        self.assertEqual(fn.wait_exit(), 1)

    def test_syntax_error(self):
        fn = self.run_function({"app.py": "def handler(event, context)\n    return 1\n"})
        error = fn.api.wait_init_error().json()
        self.assertEqual(error["errorType"], "Runtime.UserCodeSyntaxError")
        self.assertTrue(error["errorMessage"].startswith("Syntax error in module 'app': "), error)
        self.assertIn("app.py", error["errorMessage"])
        self.assertEqual(len(error["stackTrace"]), 1)
        self.assertIn('app.py" Line 1', error["stackTrace"][0])

    def test_malformed_handler_name(self):
        fn = self.run_function({"app.py": ""}, handler="app")
        error = fn.api.wait_init_error().json()
        self.assertEqual(error["errorType"], "Runtime.MalformedHandlerName")
        self.assertEqual(error["errorMessage"],
                         "Bad handler 'app': not enough values to unpack (expected 2, got 1)")

    def test_exception_at_import_time(self):
        fn = self.run_function({"app.py": "x = 1\nraise ValueError('bad config')\n"})
        error = fn.api.wait_init_error().json()
        self.assertEqual(error["errorType"], "ValueError")
        self.assertEqual(error["errorMessage"], "bad config")
        self.assertIn("raise ValueError('bad config')", error["stackTrace"][-1])

    def test_dotted_package_handler(self):
        files = {
            "pkg/__init__.py": "",
            "pkg/sub/__init__.py": "",
            "pkg/sub/mod.py": "def run(event, context):\n    return {'from': __name__}\n",
        }
        fn = self.run_function(files, handler="pkg/sub/mod.run")
        self.assertEqual(fn.invoke({}).json(), {"from": "pkg.sub.mod"})
        fn2 = self.run_function(files, handler="pkg.sub.mod.run")
        self.assertEqual(fn2.invoke({}).json(), {"from": "pkg.sub.mod"})

    def test_context(self):
        code = (
            "import os\n"
            "def handler(event, context):\n"
            "    cc = context.client_context\n"
            "    return {\n"
            "        'function_name': context.function_name,\n"
            "        'function_version': context.function_version,\n"
            "        'invoked_function_arn': context.invoked_function_arn,\n"
            "        'memory_limit_in_mb': context.memory_limit_in_mb,\n"
            "        'aws_request_id': context.aws_request_id,\n"
            "        'log_group_name': context.log_group_name,\n"
            "        'log_stream_name': context.log_stream_name,\n"
            "        'remaining': context.get_remaining_time_in_millis(),\n"
            "        'identity_id': context.identity.cognito_identity_id,\n"
            "        'identity_pool': context.identity.cognito_identity_pool_id,\n"
            "        'client_app': cc.client.app_title if cc else None,\n"
            "        'custom': cc.custom if cc else None,\n"
            "        'env': cc.env if cc else None,\n"
            "        'trace': os.environ.get('_X_AMZN_TRACE_ID'),\n"
            "        'cwd': os.getcwd(),\n"
            "    }\n"
        )
        fn = self.run_function({"app.py": code})
        deadline = int(time.time() * 1000) + 5000
        request_id = fn.api.push(
            {},
            deadline_ms=deadline,
            function_arn="arn:aws:lambda:us-east-1:123456789012:function:test:prod",
            trace_id="Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1",
            client_context={"client": {"app_title": "my app"}, "custom": {"k": "v"},
                            "env": {"platform": "x"}},
            cognito_identity={"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"},
        )
        result = fn.api.wait_result(request_id).json()
        self.assertEqual(result["function_name"], "test")
        self.assertEqual(result["function_version"], "$LATEST")
        self.assertEqual(result["invoked_function_arn"],
                         "arn:aws:lambda:us-east-1:123456789012:function:test:prod")
        self.assertEqual(result["memory_limit_in_mb"], "256")  # a string, as AWS's
        self.assertEqual(result["aws_request_id"], request_id)
        self.assertEqual(result["log_group_name"], "/aws/lambda/test")
        self.assertTrue(result["log_stream_name"].startswith("2026/11/26/[$LATEST]"))
        self.assertGreater(result["remaining"], 0)
        self.assertLessEqual(result["remaining"], 5000)
        self.assertEqual(result["identity_id"], "id-1")
        self.assertEqual(result["identity_pool"], "pool-1")
        self.assertEqual(result["client_app"], "my app")
        self.assertEqual(result["custom"], {"k": "v"})
        self.assertEqual(result["env"], {"platform": "x"})
        self.assertEqual(result["trace"],
                         "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1")
        self.assertEqual(os.path.realpath(result["cwd"]), os.path.realpath(fn.dir))
        # Without a trace header, the previous invocation's trace id is gone.
        second = fn.invoke({}, deadline_ms=int(time.time() * 1000) - 10).json()
        self.assertIsNone(second["trace"])
        self.assertIsNone(second["client_app"])
        self.assertIsNone(second["identity_id"])
        self.assertEqual(second["remaining"], 0)

    def test_not_json_serialisable(self):
        fn = self.run_function({"app.py": "def handler(event, context):\n    return {1, 2}\n"})
        request_id = fn.api.push({})
        posted = fn.api.wait_result(request_id)
        self.assertEqual(posted.kind, "error")
        self.assertEqual(
            posted.json(),
            {
                "errorMessage": "Unable to marshal response: Object of type set is not JSON serializable",
                "errorType": "Runtime.MarshalError",
                "requestId": request_id,
                "stackTrace": [],
            },
        )

    def test_bytes_and_special_results(self):
        code = (
            "import decimal\n"
            "def handler(event, context):\n"
            "    kind = event['kind']\n"
            "    if kind == 'bytes':\n"
            "        return b'\\x00raw'\n"
            "    if kind == 'none':\n"
            "        return None\n"
            "    if kind == 'decimal':\n"
            "        return [decimal.Decimal('1.5'), decimal.Decimal('2')]\n"
            "    return 'text'\n"
        )
        fn = self.run_function({"app.py": code})
        raw = fn.invoke({"kind": "bytes"})
        self.assertEqual(raw.body, b"\x00raw")
        self.assertEqual(raw.headers.get("Content-Type"), "application/unknown")
        self.assertEqual(fn.invoke({"kind": "none"}).body, b"null")
        self.assertEqual(fn.invoke({"kind": "decimal"}).body, b"[1.5, 2]")
        self.assertEqual(fn.invoke({"kind": "text"}).body, b'"text"')

    def test_bad_event_json(self):
        fn = self.run_function({"app.py": "def handler(event, context):\n    return event\n"})
        posted = fn.invoke(b"{not json")
        self.assertEqual(posted.kind, "error")
        self.assertEqual(posted.json()["errorType"], "Runtime.UnmarshalError")
        self.assertTrue(posted.json()["errorMessage"].startswith("Unable to unmarshal input: "))
        self.assertEqual(fn.invoke(b"").body, b"{}")  # no payload: the event is {}

    def test_large_payloads(self):
        fn = self.run_function(
            {"app.py": "def handler(event, context):\n    return {'echo': event, 'n': len(event)}\n"}
        )
        big = "x" * (5 * 1024 * 1024)
        posted = fn.invoke(json.dumps(big), timeout=60)
        self.assertEqual(posted.kind, "response")
        self.assertEqual(posted.json(), {"echo": big, "n": len(big)})

    def test_print_and_logging_reach_the_logs_at_once(self):
        code = (
            "import logging, time\n"
            "logger = logging.getLogger()\n"
            "logger.setLevel(logging.INFO)\n"
            "def handler(event, context):\n"
            "    print('hello from print', end='')\n"
            "    print()\n"
            "    logger.info('info line')\n"
            "    if event.get('wait'):\n"
            "        time.sleep(30)\n"
            "    return 1\n"
        )
        fn = self.run_function({"app.py": code})
        request_id = fn.invoke({}).request_id
        self.assertTrue(fn.wait_logs("hello from print\n"), fn.logs())
        self.assertTrue(fn.wait_logs("\t%s\tinfo line\n" % request_id), fn.logs())
        self.assertRegex(fn.logs(), r"\[INFO\]\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t" + request_id)
        # Output written before a long wait shows while the handler still runs.
        fn.api.push({"wait": True})
        end = time.monotonic() + 10
        while fn.logs().count("hello from print\n") < 2 and time.monotonic() < end:
            time.sleep(0.02)
        self.assertEqual(fn.logs().count("hello from print\n"), 2, fn.logs())

    def test_handler_exit_ends_the_runtime(self):
        fn = self.run_function({"app.py": "import sys\ndef handler(event, context):\n    sys.exit(3)\n"})
        fn.api.push({})
        self.assertEqual(fn.wait_exit(), 3)

    def test_no_runtime_api(self):
        fn = self.run_function({"app.py": "def handler(e, c):\n    return 1\n"},
                               extra_env={"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:1"})
        self.assertEqual(fn.wait_exit(), 1)


if __name__ == "__main__":
    unittest.main()
