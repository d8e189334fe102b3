"""Signs sample requests with botocore's SigV4Auth and prints them as JSON, for sigv4_test.cc.

Output: a JSON array of {"name", "method", "target", "headers": [[name, value], ...], "body"}.
The headers are those the request carries on the wire that matter to the signature (Host is
added as http.client sends it).
"""
import json
import sys
from urllib.parse import urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ENDPOINT = "http://127.0.0.1:8083"


def sign(name, method, path, body, headers, token=None, region="us-east-1", service="states"):
    creds = Credentials("AKIDTEST", "secret/with+chars", token)
    url = ENDPOINT + path
    request = AWSRequest(method=method, url=url, data=body.encode(), headers=dict(headers))
    SigV4Auth(creds, service, region).add_auth(request)
    split = urlsplit(request.url)
    target = split.path or "/"
    if split.query:
        target += "?" + split.query
    wire = [["Host", split.netloc]] + [[k, v] for k, v in request.headers.items()]
    return {"name": name, "method": method, "target": target, "headers": wire, "body": body}


def main():
    sfn = {"X-Amz-Target": "AWSStepFunctions.ListStateMachines",
           "Content-Type": "application/x-amz-json-1.0"}
    out = [
        sign("sfn", "POST", "/", '{"maxResults": 10}', sfn),
        sign("empty_body", "POST", "/", "", sfn),
        sign("session_token", "POST", "/", "{}", sfn, token="TOKEN/abc=="),
        sign("other_region", "POST", "/", "{}", sfn, region="eu-west-3"),
        sign("query", "GET", "/a/b?z=1&a=2&m=x%20y&empty=", "", {}),
        sign("path_chars", "GET", "/foo%20bar/./baz/../q~_.-", "", {}),
        sign("spaces_in_header", "POST", "/", "{}", dict(sfn, **{"X-Custom": "  a   b  c "})),
    ]
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
