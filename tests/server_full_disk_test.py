#!/usr/bin/env python3
"""A full disk under `stepfn serve`: writes fail cleanly with an AWS-shaped error, reads keep
working, nothing committed is lost, and the server recovers when space returns.

The data directory is a small tmpfs (needs root and permission to mount; skipped otherwise).
Usage: server_full_disk_test.py path/to/stepfn
"""
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

try:
    import boto3
    import botocore.config
    from botocore.exceptions import ClientError, EndpointConnectionError
except ImportError:
    print("SKIP: boto3 is not installed")
    sys.exit(0)

STEPFN = sys.argv[1] if len(sys.argv) > 1 else "build/stepfn"
ROLE = "arn:aws:iam::123456789012:role/r"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


mnt = tempfile.mkdtemp(prefix="stepfn-full-disk-")
if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", mnt],
                  capture_output=True).returncode != 0:
    print("SKIP: cannot mount a tmpfs here (needs root)")
    os.rmdir(mnt)
    sys.exit(0)

server = None
try:
    port = free_port()
    log = open(os.path.join(tempfile.gettempdir(), "stepfn-full-disk-server.log"), "w")
    server = subprocess.Popen([STEPFN, "serve", "--port", str(port), "--data-dir", mnt + "/data",
                               "--log-level", "error"], stdout=log, stderr=log)
    endpoint = f"http://127.0.0.1:{port}"
    sfn = boto3.client("stepfunctions", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="k", aws_secret_access_key="s",
                       config=botocore.config.Config(retries={"total_max_attempts": 1},
                                                     read_timeout=30))
    for _ in range(100):
        try:
            sfn.list_state_machines()
            break
        except EndpointConnectionError:
            time.sleep(0.05)
    # A Wait, then a Pass: executions are in flight while the disk fills.
    machine = sfn.create_state_machine(name="filler", roleArn=ROLE, definition=json.dumps(
        {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 1, "Next": "P"},
                                    "P": {"Type": "Pass", "End": True}}}))["stateMachineArn"]
    big = json.dumps({"pad": "x" * 200_000})
    started, refused = [], None
    for i in range(200):
        try:
            started.append(sfn.start_execution(stateMachineArn=machine, name=f"e{i}",
                                               input=big)["executionArn"])
        except ClientError as e:
            refused = e.response
            break
    if refused is None:
        fail("the disk never filled (200 executions of 200 KB on a 3 MiB tmpfs)")
    code = refused["Error"]["Code"]
    status = refused["ResponseMetadata"]["HTTPStatusCode"]
    print(f"disk full after {len(started)} executions: {status} {code}: "
          f"{refused['Error']['Message']}")
    if status != 503 or code != "ServiceUnavailable":
        fail(f"expected 503 ServiceUnavailable, got {status} {code}")
    # Reads keep working while the disk is full.
    for arn in started:
        sfn.describe_execution(executionArn=arn)
    listed = sfn.list_executions(stateMachineArn=machine, maxResults=1000)["executions"]
    if len(listed) != len(started):
        fail(f"ListExecutions shows {len(listed)} executions, {len(started)} were started")
    # Let the executions try to advance on a full disk for a while; the server must stay up.
    time.sleep(2)
    if server.poll() is not None:
        fail("the server exited on a full disk")
    # Space returns: everything committed continues and ends.
    subprocess.run(["mount", "-o", "remount,size=200m", mnt], check=True)
    deadline = time.time() + 30
    while time.time() < deadline:
        running = sfn.list_executions(stateMachineArn=machine, statusFilter="RUNNING")["executions"]
        if not running:
            break
        time.sleep(0.1)
    statuses = {}
    for arn in started:
        s = sfn.describe_execution(executionArn=arn)["status"]
        statuses[s] = statuses.get(s, 0) + 1
    print("after space returned:", statuses)
    if statuses != {"SUCCEEDED": len(started)}:
        fail("every execution started before the disk filled must succeed")
    # And new writes work again.
    sfn.start_execution(stateMachineArn=machine, name="after", input="{}")
    print(f"PASS: {len(started)} executions survived a full disk; writes resumed")
finally:
    if server is not None:
        server.kill()
        server.wait()
    subprocess.run(["umount", mnt], capture_output=True)
    shutil.rmtree(mnt, ignore_errors=True)
