"""Creates the benchmark's functions and state machines on a stepfn server (bench/lambda/run.sh).

    python3 setup_functions.py ENDPOINT CPP_BOOTSTRAP PYTHON_DIR

Functions: echo-cpp (provided.al2023, the C++ echo built with sdk/cpp), echo-python
(python3.12, examples/functions/echo-python). State machines (EXPRESS, for StartSyncExecution):
pass-only (the baseline), invoke-cpp / invoke-python (one Task, arn:aws:states:::lambda:invoke)
and arn-cpp (one Task whose Resource is the function's ARN). Prints one JSON object with the
ARNs.
"""
import io
import json
import os
import sys
import zipfile

import boto3
import botocore.config

endpoint, cpp_bootstrap, python_dir = sys.argv[1:4]
config = botocore.config.Config(retries={"total_max_attempts": 1}, inject_host_prefix=False,
                                read_timeout=120)
common = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="bench",
              aws_secret_access_key="bench", config=config)
lam = boto3.client("lambda", **common)
sfn = boto3.client("stepfunctions", **common)
ROLE = "arn:aws:iam::123456789012:role/bench"


def zipped(files):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, path in files:
            info = zipfile.ZipInfo(name)
            info.external_attr = (os.stat(path).st_mode & 0o777) << 16
            with open(path, "rb") as f:
                z.writestr(info, f.read())
    return buf.getvalue()


out = {}
out["echo-cpp"] = lam.create_function(
    FunctionName="echo-cpp", Runtime="provided.al2023", Role=ROLE, Handler="bootstrap",
    Code={"ZipFile": zipped([("bootstrap", cpp_bootstrap)])}, MemorySize=128,
    Timeout=10)["FunctionArn"]
py_files = [(n, os.path.join(python_dir, n)) for n in os.listdir(python_dir) if n.endswith(".py")]
out["echo-python"] = lam.create_function(
    FunctionName="echo-python", Runtime="python3.12", Role=ROLE, Handler="app.handler",
    Code={"ZipFile": zipped(py_files)}, MemorySize=128, Timeout=10)["FunctionArn"]


def machine(name, start_state):
    definition = {"StartAt": "S", "States": {"S": start_state}}
    return sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE,
                                    type="EXPRESS")["stateMachineArn"]


out["pass-only"] = machine("pass-only", {"Type": "Pass", "End": True})
for fn in ("cpp", "python"):
    out["invoke-" + fn] = machine("invoke-" + fn, {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
        "Parameters": {"FunctionName": "echo-" + fn, "Payload.$": "$"},
        "OutputPath": "$.Payload", "End": True})
out["arn-cpp"] = machine("arn-cpp", {"Type": "Task", "Resource": out["echo-cpp"], "End": True})
print(json.dumps(out))
