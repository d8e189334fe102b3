"""The C++ echo function (examples/functions/echo-cpp, built with sdk/cpp) against the fake
Runtime API (python3 -m unittest). STEPFN_ECHO_CPP_BOOTSTRAP names the built bootstrap (ctest
sets it); skipped without it."""

import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import RunningFunction  # noqa: E402

BOOTSTRAP = os.environ.get("STEPFN_ECHO_CPP_BOOTSTRAP", "")


@unittest.skipUnless(os.access(BOOTSTRAP, os.X_OK), "STEPFN_ECHO_CPP_BOOTSTRAP is not set")
class CppEchoTest(unittest.TestCase):
    def run_function(self, close_connections=False):
        fn = RunningFunction([BOOTSTRAP], {}, "", "provided.al2023",
                             close_connections=close_connections)
        self.addCleanup(fn.close)
        return fn

    def test_echo_many_invocations_on_one_connection(self):
        fn = self.run_function()
        for index in range(200):
            payload = {"n": index, "s": "é\n\"x\""}
            posted = fn.invoke(payload)
            self.assertIsNotNone(posted, fn.logs())
            self.assertEqual(posted.kind, "response")
            self.assertEqual(posted.json(), payload)
            self.assertEqual(posted.headers.get("Content-Type"), "application/json")
        self.assertEqual(fn.api.connections, 1)
        self.assertEqual(set(fn.api.next_connections), {1})

    def test_large_payload(self):
        fn = self.run_function()
        big = json.dumps({"data": "z" * (6 * 1024 * 1024)})
        posted = fn.invoke(big, timeout=60)
        self.assertEqual(posted.body, big.encode())

    def test_reconnects_when_the_api_closes_connections(self):
        fn = self.run_function(close_connections=True)
        for index in range(5):
            self.assertEqual(fn.invoke([index]).json(), [index])
        self.assertGreaterEqual(fn.api.connections, 10)

    def test_exits_when_the_api_is_unreachable(self):
        fn = RunningFunction([BOOTSTRAP], {}, "", "provided.al2023",
                             extra_env={"AWS_LAMBDA_RUNTIME_API": "127.0.0.1:1"})
        self.addCleanup(fn.close)
        self.assertEqual(fn.wait_exit(), 1)
        self.assertIn("cannot connect to the Runtime API", fn.logs())


if __name__ == "__main__":
    unittest.main()
