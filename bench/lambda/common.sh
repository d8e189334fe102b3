# shellcheck shell=bash
# Sourced by the Lambda benchmark scripts: a free port, waiting for a server, and the functions
# and machines of setup_functions.py.
lambda_bench_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$lambda_bench_dir/../.." && pwd)"

# A free loopback port.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits until the server at endpoint $1 answers, up to $2 tenths of a second (default 100).
wait_for_server() {
  for _ in $(seq "${2:-100}"); do curl -s -o /dev/null "$1/" && return 0; sleep 0.1; done
  return 1
}

# Creates the echo functions and the machines on the server at endpoint $1, with the C++
# bootstrap of build $2; sets `arns` (a JSON object: name -> ARN).
setup_functions() {
  arns="$(python3 "$lambda_bench_dir/setup_functions.py" "$1" \
    "$2/examples/functions/echo-cpp/bootstrap" "$repo_root/examples/functions/echo-python")"
}

# The ARN setup_functions gave the machine or function named $1.
arn() { python3 -c 'import json,sys; print(json.loads(sys.argv[1])[sys.argv[2]])' "$arns" "$1"; }
