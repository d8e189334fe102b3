"""The Lambda API through boto3 (lambda_api_test.cc): python3 lambda_boto3.py ENDPOINT PHASE DIR.

PHASE "main" creates functions (zip packages whose `bootstrap` is a Python script speaking the
Runtime API, and a local folder), invokes them every way, publishes versions and aliases, and
tries every refusal; PHASE "restart" checks what a restarted server kept. DIR is scratch space
(the folder function lives there). Prints one JSON object.
"""
import base64
import hashlib
import io
import json
import os
import sys
import time
import urllib.request
import zipfile

import boto3
import botocore.config
from botocore.exceptions import ClientError

ENDPOINT, PHASE, DIR = sys.argv[1], sys.argv[2], sys.argv[3]
ROLE = "arn:aws:iam::123456789012:role/stepfn-test"
PYTHON = sys.executable

lam = boto3.client("lambda", endpoint_url=ENDPOINT, region_name="us-east-1",
                   aws_access_key_id="test", aws_secret_access_key="test",
                   config=botocore.config.Config(retries={"total_max_attempts": 1},
                                                 read_timeout=30))

# A `provided` runtime: the Runtime API loop, answering each event with its tag, version and an
# environment variable; {"fail": true} posts an error.
BOOTSTRAP = """#!%s
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/invocation/"
while True:
    with urllib.request.urlopen(api + "next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read() or b"null")
    print("handling", rid, flush=True)
    if isinstance(event, dict) and event.get("mark"):
        open(event["mark"], "w").write(rid)
    if isinstance(event, dict) and event.get("fail"):
        body, path = {"errorMessage": "boom", "errorType": "Boom"}, rid + "/error"
    else:
        body, path = {"tag": TAG, "version": os.environ.get("AWS_LAMBDA_FUNCTION_VERSION"),
                      "greeting": os.environ.get("GREETING"), "event": event}, rid + "/response"
    req = urllib.request.Request(api + path, data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(req).read()
"""


def bootstrap(tag):
    return (BOOTSTRAP % PYTHON).replace("TAG", json.dumps(tag))


def make_zip(entries):
    """entries: (name, content, unix mode) or (name, target, "link")."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, content, mode in entries:
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode == "link":
                info.external_attr = (0o120777 << 16)
            else:
                info.external_attr = (mode << 16)
            z.writestr(info, content)
    return out.getvalue()


def package(tag):
    return make_zip([("bootstrap", bootstrap(tag), 0o100755)])


def error_of(call):
    try:
        response = call()
        response.pop("ResponseMetadata", None)
        return {"ok": True}
    except ClientError as e:
        return {"code": e.response["Error"]["Code"], "message": e.response["Error"]["Message"],
                "status": e.response["ResponseMetadata"]["HTTPStatusCode"]}


def invoke(name, payload=None, **kwargs):
    args = {"FunctionName": name}
    if payload is not None:
        args["Payload"] = json.dumps(payload).encode()
    args.update(kwargs)
    r = lam.invoke(**args)
    body = r["Payload"].read()
    out = {"status": r["StatusCode"], "version": r.get("ExecutedVersion"),
           "error": r.get("FunctionError")}
    if body:
        out["payload"] = json.loads(body)
    if r.get("LogResult"):
        out["log"] = base64.b64decode(r["LogResult"]).decode()
    return out


def create(name, code, runtime="provided.al2023", handler="bootstrap", **kwargs):
    return lam.create_function(FunctionName=name, Runtime=runtime, Role=ROLE, Handler=handler,
                               Code=code, **kwargs)


out = {}
if PHASE == "main":
    pkg_v1 = package("v1")
    created = create("fzip", {"ZipFile": pkg_v1}, Timeout=10,
                     Environment={"Variables": {"GREETING": "hello"}})
    out["created"] = {k: created[k] for k in ("FunctionArn", "State", "LastUpdateStatus",
                                              "Version", "Runtime", "Handler", "Timeout",
                                              "CodeSize", "PackageType")}
    lam.get_waiter("function_active_v2").wait(FunctionName="fzip")
    lam.get_waiter("function_updated_v2").wait(FunctionName="fzip")
    got = lam.get_function(FunctionName="fzip")
    out["get"] = got["Configuration"]["Environment"]
    # Code.Location gives the package back as it was sent (a file:// URL here).
    with urllib.request.urlopen(got["Code"]["Location"]) as f:
        fetched = f.read()
    out["code_fetched_same"] = fetched == pkg_v1
    out["code_sha_matches"] = (base64.b64encode(hashlib.sha256(fetched).digest()).decode()
                               == got["Configuration"]["CodeSha256"])
    out["invoke"] = invoke("fzip", {"n": 1})
    out["tail"] = invoke("fzip", {"n": 2}, LogType="Tail")
    out["function_error"] = invoke("fzip", {"fail": True})
    mark = os.path.join(DIR, "event-ran")
    out["event"] = invoke("fzip", {"mark": mark}, InvocationType="Event")
    for _ in range(100):  # the Event invocation runs in the background
        if os.path.exists(mark):
            break
        time.sleep(0.05)
    out["event_ran"] = os.path.exists(mark)
    out["dry_run"] = invoke("fzip", None, InvocationType="DryRun")

    lam.update_function_code(FunctionName="fzip", ZipFile=package("v2"))
    out["after_code"] = invoke("fzip", {})["payload"]["tag"]
    lam.update_function_configuration(FunctionName="fzip",
                                      Environment={"Variables": {"GREETING": "bonjour"}})
    out["after_config"] = invoke("fzip", {})["payload"]["greeting"]

    out["v1"] = lam.publish_version(FunctionName="fzip")["Version"]
    lam.update_function_code(FunctionName="fzip", ZipFile=package("v3"))
    out["v2"] = lam.publish_version(FunctionName="fzip", Description="third")["Version"]
    lam.update_function_code(FunctionName="fzip", ZipFile=package("v4"))
    lam.create_alias(FunctionName="fzip", Name="live", FunctionVersion="1")
    out["by_version"] = invoke("fzip", {}, Qualifier="2")
    out["by_alias"] = invoke("fzip:live", {})
    out["by_arn"] = invoke("arn:aws:lambda:us-east-1:123456789012:function:fzip:2", {})
    out["latest"] = invoke("fzip", {})["payload"]["tag"]
    lam.update_alias(FunctionName="fzip", Name="live", FunctionVersion="2")
    out["alias_moved"] = invoke("fzip", {}, Qualifier="live")["payload"]["tag"]
    out["versions"] = [v["Version"] for v in
                       lam.list_versions_by_function(FunctionName="fzip")["Versions"]]
    out["aliases"] = [a["Name"] for a in lam.list_aliases(FunctionName="fzip")["Aliases"]]

    # A local folder as the code: used in place, edits seen on the next cold start.
    folder = os.path.join(DIR, "folder")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "bootstrap"), "w") as f:
        f.write(bootstrap("folder-1"))
    os.chmod(os.path.join(folder, "bootstrap"), 0o755)
    create("ffolder", {"S3Bucket": "stepfn-local", "S3Key": folder})
    out["folder"] = invoke("ffolder", {})["payload"]["tag"]
    with open(os.path.join(folder, "bootstrap"), "w") as f:
        f.write(bootstrap("folder-2"))
    lam.update_function_configuration(FunctionName="ffolder", Description="cold start, please")
    out["folder_edited"] = invoke("ffolder", {})["payload"]["tag"]

    # A package over the server's default body limit (8 MiB): CreateFunction's route takes more.
    big_file = os.urandom(9 * 1024 * 1024)
    out["big"] = create("fbig", {"ZipFile": make_zip([("bootstrap", bootstrap("big"), 0o100755),
                                                     ("blob", big_file, 0o100644)])})["CodeSize"]
    out["big_tag"] = invoke("fbig", {})["payload"]["tag"]
    lam.delete_function(FunctionName="fbig")

    # Python and Node functions through stepfn's runtime clients.
    create("fpy", {"ZipFile": make_zip([("app.py", "def handler(event, context):\n"
                                         "    return {'py': event}\n", 0o100644)])},
           runtime="python3.12", handler="app.handler")
    out["python"] = invoke("fpy", {"x": 1})["payload"]
    create("fnode", {"ZipFile": make_zip([("index.js", "exports.handler = async (event) => "
                                           "({node: event});\n", 0o100644)])},
           runtime="nodejs20.x", handler="index.handler")
    out["node"] = invoke("fnode", {"x": 2})["payload"]

    for i in range(3):
        create("page%d" % i, {"ZipFile": package("p")})
    names = []
    for page in lam.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 2}):
        names += [f["FunctionName"] for f in page["Functions"]]
    out["listed"] = names

    lam.put_function_concurrency(FunctionName="page0", ReservedConcurrentExecutions=5)
    out["concurrency"] = lam.get_function_concurrency(FunctionName="page0").get(
        "ReservedConcurrentExecutions")
    out["account"] = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    lam.delete_function_concurrency(FunctionName="page0")
    out["concurrency_deleted"] = lam.get_function_concurrency(FunctionName="page0").get(
        "ReservedConcurrentExecutions")

    errors = {}
    errors["missing"] = error_of(lambda: lam.get_function(FunctionName="nope"))
    errors["invoke_missing"] = error_of(lambda: lam.invoke(FunctionName="nope"))
    errors["exists"] = error_of(lambda: create("fzip", {"ZipFile": package("x")}))
    errors["bad_zip"] = error_of(lambda: create("bad1", {"ZipFile": b"not a zip"}))
    errors["dot_dot"] = error_of(lambda: create(
        "bad2", {"ZipFile": make_zip([("../evil", "x", 0o100644)])}))
    errors["symlink"] = error_of(lambda: create(
        "bad3", {"ZipFile": make_zip([("bootstrap", "x", 0o100755),
                                      ("escape", "../../etc", "link")])}))
    errors["runtime"] = error_of(lambda: create("bad4", {"ZipFile": package("x")},
                                                runtime="cobol85"))
    errors["handler"] = error_of(lambda: lam.create_function(
        FunctionName="bad5", Runtime="python3.12", Role=ROLE, Code={"ZipFile": package("x")}))
    errors["no_code"] = error_of(lambda: create("bad6", {}))
    errors["version_missing"] = error_of(lambda: lam.invoke(FunctionName="fzip", Qualifier="9"))
    errors["alias_missing"] = error_of(lambda: lam.get_alias(FunctionName="fzip", Name="nope"))
    errors["delete_used_version"] = error_of(
        lambda: lam.delete_function(FunctionName="fzip", Qualifier="2"))
    errors["payload"] = error_of(lambda: lam.invoke(FunctionName="fzip", Payload=b"{not json"))
    # An honest package over the unzipped limit, refused from its directory.
    big = io.BytesIO()
    with zipfile.ZipFile(big, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("bootstrap", "x")
        z.writestr("big", b"\0" * (262144000 + 1))
    errors["oversized"] = error_of(lambda: create("bad7", {"ZipFile": big.getvalue()}))
    out["errors"] = errors

    lam.delete_function(FunctionName="page2")
    out["deleted"] = error_of(lambda: lam.get_function(FunctionName="page2"))["code"]
elif PHASE == "restart":
    out["get"] = lam.get_function_configuration(FunctionName="fzip")["Version"]
    out["alias"] = lam.get_alias(FunctionName="fzip", Name="live")["FunctionVersion"]
    out["by_alias"] = invoke("fzip:live", {})["payload"]["tag"]
    out["latest"] = invoke("fzip", {})["payload"]["tag"]
    out["folder"] = invoke("ffolder", {})["payload"]["tag"]
    out["listed"] = [f["FunctionName"] for f in lam.list_functions()["Functions"]]

print(json.dumps(out))
