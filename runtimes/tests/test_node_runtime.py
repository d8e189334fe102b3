"""runtimes/node/runtime.js against the fake Runtime API (python3 -m unittest). Skipped when
node is not installed."""

import os
import shutil
import sys
import time
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import NODE_RUNTIME, RunningFunction  # noqa: E402

NODE = shutil.which("node")


@unittest.skipUnless(NODE, "node is not installed")
class NodeRuntimeTest(unittest.TestCase):
    def run_function(self, files, handler="index.handler", extra_env=None, close_connections=False):
        fn = RunningFunction([NODE, NODE_RUNTIME], files, handler, "nodejs20.x", extra_env,
                             close_connections)
        self.addCleanup(fn.close)
        return fn

    def test_async_esm_echo_many_invocations_on_one_connection(self):
        fn = self.run_function({"index.mjs": "export const handler = async (event) => event;\n"})
        for index in range(50):
            posted = fn.invoke({"n": index, "s": "é"})
            self.assertIsNotNone(posted, fn.logs())
            self.assertEqual(posted.kind, "response")
            self.assertEqual(posted.json(), {"n": index, "s": "é"})
        self.assertEqual(set(fn.api.next_connections), {1})
        self.assertEqual({p.connection for p in fn.api.posts}, {1})
        self.assertEqual(fn.api.connections, 1)

    def test_reconnects_when_the_api_closes_connections(self):
        fn = self.run_function({"index.js": "exports.handler = async (e) => e;\n"},
                               close_connections=True)
        for index in range(5):
            self.assertEqual(fn.invoke([index]).json(), [index])
        self.assertGreaterEqual(fn.api.connections, 10)

    def test_commonjs_callback_and_promise_handlers(self):
        code = (
            "exports.cb = (event, context, callback) => { callback(null, {cb: event.x}); };\n"
            "exports.promise = (event) => Promise.resolve({p: event.x});\n"
            "exports.sync = (event) => { };\n"
            "exports.nested = { deeper: { fn: async () => 'nested' } };\n"
            "exports.later = (event, context, callback) => {\n"
            "  setTimeout(() => { global.done = true; }, 100);\n"
            "  callback(null, 'after timers');\n"
            "};\n"
            "exports.nowait = (event, context, callback) => {\n"
            "  context.callbackWaitsForEmptyEventLoop = false;\n"
            "  global.t = setTimeout(() => {}, 5000);\n"
            "  callback(null, 'now');\n"
            "};\n"
        )
        for handler, expected in [
            ("index.cb", {"cb": 7}),
            ("index.promise", {"p": 7}),
            ("index.sync", None),
            ("index.nested.deeper.fn", "nested"),
            ("index.later", "after timers"),
        ]:
            with self.subTest(handler=handler):
                fn = self.run_function({"index.js": code}, handler=handler)
                posted = fn.invoke({"x": 7})
                self.assertIsNotNone(posted, fn.logs())
                self.assertEqual(posted.kind, "response", posted.body)
                self.assertEqual(posted.json(), expected)
        # With callbackWaitsForEmptyEventLoop false, the result goes out before the 5 s timer.
        fn = self.run_function({"index.js": code}, handler="index.nowait")
        start = time.monotonic()
        self.assertEqual(fn.invoke({}).json(), "now")
        self.assertLess(time.monotonic() - start, 4)

    def test_package_json_type_module(self):
        fn = self.run_function(
            {
                "package.json": '{"type": "module"}',
                "src/app.js": "export async function handler(e, ctx) { return ctx.functionName; }\n",
            },
            handler="src/app.handler",
        )
        self.assertEqual(fn.invoke({}).json(), "test")

    def test_thrown_error_shape(self):
        code = "exports.handler = async () => { throw new Error('boom'); };\n"
        fn = self.run_function({"index.js": code})
        posted = fn.invoke({})
        self.assertEqual(posted.kind, "error")
        error = posted.json()
        self.assertEqual(set(error), {"errorType", "errorMessage", "trace"})
        self.assertEqual(error["errorType"], "Error")
        self.assertEqual(error["errorMessage"], "boom")
        self.assertEqual(error["trace"][0], "Error: boom")
        self.assertTrue(error["trace"][1].startswith("    at "), error["trace"])
        self.assertIn(os.path.join(fn.dir, "index.js"), error["trace"][1])
        self.assertEqual(posted.headers.get("Lambda-Runtime-Function-Error-Type"), "Error")
        self.assertTrue(fn.wait_logs("\tERROR\tInvoke Error \t{\"errorType\":\"Error\",\"errorMessage\":\"boom\""),
                        fn.logs())
        # Still serving.
        self.assertEqual(fn.invoke({}).kind, "error")

    def test_callback_errors_and_custom_types(self):
        code = (
            "class MyError extends Error { constructor(m) { super(m); this.name = 'MyError'; } }\n"
            "exports.custom = async () => { throw new MyError('mine'); };\n"
            "exports.text = (e, c, cb) => cb('just a string');\n"
            "exports.sync = () => { throw new TypeError('bad type'); };\n"
        )
        fn = self.run_function({"index.js": code}, handler="index.custom")
        self.assertEqual(fn.invoke({}).json()["errorType"], "MyError")
        fn = self.run_function({"index.js": code}, handler="index.text")
        self.assertEqual(fn.invoke({}).json(),
                         {"errorType": "string", "errorMessage": "just a string", "trace": []})
        fn = self.run_function({"index.js": code}, handler="index.sync")
        error = fn.invoke({}).json()
        self.assertEqual((error["errorType"], error["errorMessage"]), ("TypeError", "bad type"))

    def test_non_ascii_error_names(self):
        code = ("exports.handler = async () => { const e = new Error('€ 中文'); e.name = 'Ошибка\\r\\n';"
                " throw e; };\n")
        fn = self.run_function({"index.js": code})
        for _ in range(2):
            posted = fn.invoke({})
            self.assertIsNotNone(posted, fn.logs())
            self.assertEqual(posted.json()["errorType"], "Ошибка\r\n")
            self.assertEqual(posted.json()["errorMessage"], "€ 中文")
            self.assertEqual(posted.headers.get("Lambda-Runtime-Function-Error-Type"),
                             "\\u041e\\u0448\\u0438\\u0431\\u043a\\u0430\\u000d\\u000a")

    def test_import_error(self):
        fn = self.run_function({"other.js": ""})
        posted = fn.api.wait_init_error()
        self.assertIsNotNone(posted, fn.logs())
        error = posted.json()
        self.assertEqual(error["errorType"], "Runtime.ImportModuleError")
        self.assertTrue(error["errorMessage"].startswith("Error: Cannot find module 'index'"), error)
        self.assertEqual(posted.headers.get("Lambda-Runtime-Function-Error-Type"),
                         "Runtime.ImportModuleError")
        self.assertNotEqual(fn.wait_exit(), 0)

    def test_missing_dependency(self):
        fn = self.run_function({"index.js": "require('no-such-package');\nexports.handler = () => 1;\n"})
        error = fn.api.wait_init_error().json()
        self.assertEqual(error["errorType"], "Runtime.ImportModuleError")
        self.assertIn("Cannot find module 'no-such-package'", error["errorMessage"])

    def test_missing_handler(self):
        fn = self.run_function({"index.js": "exports.other = () => 1;\n"})
        error = fn.api.wait_init_error().json()
        self.assertEqual(error["errorType"], "Runtime.HandlerNotFound")
        self.assertEqual(error["errorMessage"], "index.handler is undefined or not exported")
        fn = self.run_function({"index.js": "exports.handler = 5;\n"})
        self.assertEqual(fn.api.wait_init_error().json()["errorMessage"], "index.handler is not a function")

    def test_syntax_error(self):
        for name in ("index.js", "index.mjs"):
            with self.subTest(file=name):
                fn = self.run_function({name: "export const handler = async (event => event;\n"})
                error = fn.api.wait_init_error().json()
                self.assertEqual(error["errorType"], "Runtime.UserCodeSyntaxError", error)
                self.assertTrue(error["errorMessage"].startswith("SyntaxError: "), error)

    def test_malformed_handler(self):
        fn = self.run_function({"index.js": ""}, handler="index")
        self.assertEqual(fn.api.wait_init_error().json()["errorType"], "Runtime.MalformedHandlerName")

    def test_context(self):
        code = (
            "exports.handler = async (event, context) => ({\n"
            "  functionName: context.functionName,\n"
            "  functionVersion: context.functionVersion,\n"
            "  invokedFunctionArn: context.invokedFunctionArn,\n"
            "  memoryLimitInMB: context.memoryLimitInMB,\n"
            "  awsRequestId: context.awsRequestId,\n"
            "  logGroupName: context.logGroupName,\n"
            "  logStreamName: context.logStreamName,\n"
            "  remaining: context.getRemainingTimeInMillis(),\n"
            "  waits: context.callbackWaitsForEmptyEventLoop,\n"
            "  identity: context.identity,\n"
            "  clientContext: context.clientContext,\n"
            "  trace: process.env._X_AMZN_TRACE_ID,\n"
            "});\n"
        )
        fn = self.run_function({"index.js": code})
        request_id = fn.api.push(
            {},
            deadline_ms=int(time.time() * 1000) + 5000,
            function_arn="arn:aws:lambda:us-east-1:123456789012:function:test:1",
            trace_id="Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1",
            client_context={"client": {"app_title": "a"}, "custom": {"k": 1}},
            cognito_identity={"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"},
        )
        result = fn.api.wait_result(request_id).json()
        self.assertEqual(result["functionName"], "test")
        self.assertEqual(result["functionVersion"], "$LATEST")
        self.assertEqual(result["invokedFunctionArn"], "arn:aws:lambda:us-east-1:123456789012:function:test:1")
        self.assertEqual(result["memoryLimitInMB"], "256")
        self.assertEqual(result["awsRequestId"], request_id)
        self.assertEqual(result["logGroupName"], "/aws/lambda/test")
        self.assertTrue(0 < result["remaining"] <= 5000)
        self.assertTrue(result["waits"])
        self.assertEqual(result["identity"], {"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"})
        self.assertEqual(result["clientContext"], {"client": {"app_title": "a"}, "custom": {"k": 1}})
        self.assertEqual(result["trace"], "Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Sampled=1")
        second = fn.invoke({}, deadline_ms=int(time.time() * 1000) - 5).json()
        self.assertNotIn("trace", second)
        self.assertNotIn("identity", second)
        self.assertEqual(second["remaining"], 0)

    def test_console_lines(self):
        code = "exports.handler = async () => { console.log('hello %s', 'world'); console.warn('careful'); return 1; };\n"
        fn = self.run_function({"index.js": code})
        request_id = fn.invoke({}).request_id
        self.assertTrue(fn.wait_logs("\t%s\tINFO\thello world\n" % request_id), fn.logs())
        self.assertTrue(fn.wait_logs("\t%s\tWARN\tcareful\n" % request_id), fn.logs())
        self.assertRegex(fn.logs(), r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\t" + request_id + r"\tINFO")

    def test_unserialisable_result(self):
        fn = self.run_function({"index.js": "exports.handler = async () => ({n: 10n});\n"})
        posted = fn.invoke({})
        self.assertEqual(posted.kind, "error")
        self.assertEqual(posted.json()["errorMessage"], "Unable to stringify response body")

    def test_large_payload(self):
        fn = self.run_function({"index.mjs": "export const handler = async (e) => ({echo: e, n: e.length});\n"})
        big = "y" * (5 * 1024 * 1024)
        posted = fn.invoke('"%s"' % big, timeout=60)
        self.assertEqual(posted.kind, "response")
        self.assertEqual(posted.json(), {"echo": big, "n": len(big)})

    def test_uncaught_exception_in_timer(self):
        code = "exports.handler = (e, c, cb) => { setTimeout(() => { throw new Error('late'); }, 10); };\n"
        fn = self.run_function({"index.js": code})
        posted = fn.invoke({})
        self.assertEqual(posted.kind, "error")
        self.assertEqual(posted.json()["errorMessage"], "late")
        self.assertEqual(fn.wait_exit(), 129)


if __name__ == "__main__":
    unittest.main()
