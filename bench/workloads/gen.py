#!/usr/bin/env python3
"""Generates the benchmark workloads (bench/workloads/*.json) that both engines run.

Each workload is a definition, an input, the expected output of one execution (both benchmark
drivers check every execution's output against it, so both engines demonstrably do the same
work) and an entry in workloads.json that says how to run and count it:

  name            short id, e.g. "a-pass-chain"
  title           one line for tables
  type            STANDARD or EXPRESS
  executions      executions per timed repetition (the same on both engines)
  unit            "transitions" (states entered) or "items" (Map items processed)
  per_execution   units per execution (states entered, or items), computed here
  definition, input, expected   file names in this folder
  mock_config, test_case        for Task workloads: the AWS Step Functions Local mock file
                                (stepfn --mock-config / --test-case) and the case to use
  task_results    for Task workloads: state name -> the fixed object the task returns (the
                  peer's taskResourceLocalHandlers return these)

All workloads stay inside AWS's limits: payloads (inputs, outputs, every state's data) under
256 KiB, STANDARD executions under 25,000 history events.

Usage: gen.py            write the files (deterministic; committed)
       gen.py --check    fail if the committed files differ from what gen.py would write
"""

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
PAYLOAD_LIMIT = 256 * 1024
STANDARD_HISTORY_LIMIT = 25_000
FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:stepfn-bench"


def dump(value):
    return json.dumps(value, separators=(",", ":"))


# (a) A chain of 1,000 Pass states. Each builds {"a": <x>, "n": 1} with Parameters and stores it
# at $.r (ResultPath), so the state's output is its input with r replaced: x is kept for the
# next state. JSONPath only; both engines treat it identically.
def pass_chain(n_states=1000):
    states = {}
    for i in range(n_states):
        name = f"P{i:04d}"
        state = {
            "Type": "Pass",
            "Parameters": {"a.$": "$.x", "n": 1},
            "ResultPath": "$.r",
        }
        if i + 1 < n_states:
            state["Next"] = f"P{i + 1:04d}"
        else:
            state["End"] = True
        states[name] = state
    definition = {
        "Comment": f"A chain of {n_states} Pass states",
        "StartAt": "P0000",
        "States": states,
    }
    inp = {"x": 7}
    expected = {"x": 7, "r": {"a": 7, "n": 1}}
    # History: ExecutionStarted, per state PassStateEntered + PassStateExited, ExecutionSucceeded.
    history = 2 + 2 * n_states
    return definition, inp, expected, n_states, history


# (b) A Choice loop that counts to 10,000 with States.MathAdd.
def choice_loop(limit=10_000):
    definition = {
        "Comment": f"Count to {limit} with a Choice loop and States.MathAdd",
        "StartAt": "Check",
        "States": {
            "Check": {
                "Type": "Choice",
                "Choices": [
                    {"Variable": "$.i", "NumericLessThan": limit, "Next": "Increment"}
                ],
                "Default": "Done",
            },
            "Increment": {
                "Type": "Pass",
                "Parameters": {"i.$": "States.MathAdd($.i, 1)"},
                "Next": "Check",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    inp = {"i": 0}
    expected = {"i": limit}
    transitions = (limit + 1) + limit + 1  # Check, Increment, Done
    return definition, inp, expected, transitions


# (c) An inline Map over the integers 0..n-1: ItemSelector builds {"v": item, "i": index}, one
# Pass state returns a small object.
def inline_map(n_items=10_000, small_results=False):
    shape = {"Type": "Pass", "Parameters": {"v.$": "$.v", "ok": True}, "End": True}
    if small_results:
        # For the memory measurement over 100,000 items: each iteration's result is one digit,
        # so the Map's result (100,000 of them) stays under the 256 KiB limit.
        shape["Parameters"] = {"v.$": "$.v", "ok": 1}
        shape["OutputPath"] = "$.ok"
    definition = {
        "Comment": f"Inline Map over {n_items} integers",
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "ItemsPath": "$.items",
                "ItemSelector": {
                    "v.$": "$$.Map.Item.Value",
                    "i.$": "$$.Map.Item.Index",
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Shape",
                    "States": {"Shape": shape},
                },
                "End": True,
            }
        },
    }
    inp = {"items": list(range(n_items))}
    expected = [{"v": i, "ok": True} for i in range(n_items)]
    return definition, inp, expected, n_items


# (d) A Parallel of 10 branches of 10 Pass states each. Every Pass records where it is at $.at,
# so each branch returns its input with at = {"b": branch, "s": 9}.
def parallel(n_branches=10, n_steps=10):
    branches = []
    for b in range(n_branches):
        states = {}
        for s in range(n_steps):
            state = {"Type": "Pass", "Result": {"b": b, "s": s}, "ResultPath": "$.at"}
            if s + 1 < n_steps:
                state["Next"] = f"B{b}S{s + 1}"
            else:
                state["End"] = True
            states[f"B{b}S{s}"] = state
        branches.append({"StartAt": f"B{b}S0", "States": states})
    definition = {
        "Comment": f"A Parallel of {n_branches} branches of {n_steps} Pass states",
        "StartAt": "Fan",
        "States": {"Fan": {"Type": "Parallel", "Branches": branches, "End": True}},
    }
    inp = {"x": 7}
    expected = [{"x": 7, "at": {"b": b, "s": n_steps - 1}} for b in range(n_branches)]
    transitions = 1 + n_branches * n_steps
    # ExecutionStarted, ParallelStateEntered, ParallelStateStarted, per Pass Entered + Exited,
    # ParallelStateExited, ExecutionSucceeded (AWS records no ParallelStateSucceeded).
    history = 5 + 2 * n_branches * n_steps
    return definition, inp, expected, transitions, history


# (e) Task -> Parallel[3 Tasks] -> Task -> Task, every Task mocked with a small fixed object.
# Each Task's result is stored at its own ResultPath so the final output shows that all six ran.
TASK_RESULT = {"ok": True, "n": 1}


def tasks():
    def task(next_state=None, result_path=None):
        state = {"Type": "Task", "Resource": FUNCTION_ARN}
        if result_path:
            state["ResultPath"] = result_path
        if next_state:
            state["Next"] = next_state
        else:
            state["End"] = True
        return state

    def branch(name):
        return {"StartAt": name, "States": {name: task()}}

    definition = {
        "Comment": "Task -> Parallel[3 Tasks] -> Task -> Task, tasks mocked",
        "StartAt": "Prepare",
        "States": {
            "Prepare": task("FanOut", "$.prepare"),
            "FanOut": {
                "Type": "Parallel",
                "Branches": [branch("TaskA"), branch("TaskB"), branch("TaskC")],
                "ResultPath": "$.fan",
                "Next": "Combine",
            },
            "Combine": task("Finish", "$.combine"),
            "Finish": task(None, "$.finish"),
        },
    }
    inp = {"order": 42}
    expected = {
        "order": 42,
        "prepare": TASK_RESULT,
        "fan": [TASK_RESULT, TASK_RESULT, TASK_RESULT],
        "combine": TASK_RESULT,
        "finish": TASK_RESULT,
    }
    task_states = ["Prepare", "TaskA", "TaskB", "TaskC", "Combine", "Finish"]
    mock_config = {
        "StateMachines": {
            "e-tasks": {
                "TestCases": {"Bench": {name: "SmallResult" for name in task_states}}
            }
        },
        "MockedResponses": {"SmallResult": {"0": {"Return": TASK_RESULT}}},
    }
    transitions = 1 + 1 + 3 + 2  # Prepare, FanOut, 3 branch tasks, Combine, Finish
    # ExecutionStarted; per Task Entered, Scheduled, Started, Succeeded, Exited (5);
    # Parallel Entered, Started, Exited; ExecutionSucceeded.
    history = 2 + 5 * len(task_states) + 3
    return definition, inp, expected, mock_config, transitions, history, task_states


def check_payload(name, what, value):
    size = len(dump(value).encode())
    if size > PAYLOAD_LIMIT:
        sys.exit(f"gen.py: {name} {what} is {size} bytes, over AWS's 256 KiB limit")


def build_all():
    """Returns {file name: JSON text} for every generated file."""
    files = {}
    manifest = []

    def add(name, title, mtype, executions, unit, per_execution, definition, inp, expected,
            history=None, extra=None):
        for what, value in (("definition", definition), ("input", inp), ("output", expected)):
            check_payload(name, what, value)
        if history is not None and mtype == "STANDARD":
            assert history < STANDARD_HISTORY_LIMIT, (name, history)
        files[f"{name}.asl.json"] = json.dumps(definition, indent=1)
        files[f"{name}.input.json"] = dump(inp)
        files[f"{name}.expected.json"] = dump(expected)
        entry = {
            "name": name,
            "title": title,
            "type": mtype,
            "executions": executions,
            "unit": unit,
            "per_execution": per_execution,
            "definition": f"{name}.asl.json",
            "input": f"{name}.input.json",
            "expected": f"{name}.expected.json",
        }
        if history is not None:
            entry["history_events_per_execution_estimate"] = history
        entry.update(extra or {})
        manifest.append(entry)

    d, i, e, t, h = pass_chain()
    add("a-pass-chain", "(a) 1,000 Pass states, Parameters + ResultPath", "STANDARD", 100,
        "transitions", t, d, i, e, h)

    d, i, e, t = choice_loop()
    add("b-choice-loop", "(b) Choice loop to 10,000 with States.MathAdd", "EXPRESS", 5,
        "transitions", t, d, i, e)

    d, i, e, n = inline_map()
    add("c-inline-map", "(c) inline Map over 10,000 integers", "EXPRESS", 5, "items", n,
        d, i, e)

    d, i, e, t, h = parallel()
    add("d-parallel", "(d) Parallel, 10 branches x 10 Pass states", "STANDARD", 1000,
        "transitions", t, d, i, e, h)

    d, i, e, mock, t, h, task_states = tasks()
    files["e-tasks.mock.json"] = json.dumps(mock, indent=1)
    add("e-tasks", "(e) Task, Parallel[3 Tasks], Task, Task (mocked)", "STANDARD", 10_000,
        "transitions", t, d, i, e, h,
        {
            "mock_config": "e-tasks.mock.json",
            "state_machine_name": "e-tasks",
            "test_case": "Bench",
            "task_results": {name: TASK_RESULT for name in task_states},
        })

    # For timing `stepfn run` as a command (start-up, parse, run, print): three states.
    files["cli-three-states.asl.json"] = json.dumps({
        "Comment": "Three states, for timing one `stepfn run`",
        "StartAt": "Greet",
        "States": {
            "Greet": {"Type": "Pass", "Parameters": {"greeting.$": "States.Format('Hello, {}', $.name)"},
                      "ResultPath": "$.out", "Next": "Check"},
            "Check": {"Type": "Choice",
                      "Choices": [{"Variable": "$.out.greeting", "IsPresent": True, "Next": "Done"}],
                      "Default": "Done"},
            "Done": {"Type": "Succeed"},
        },
    }, indent=1)
    files["cli-three-states.input.json"] = dump({"name": "stepfn"})

    # The Map memory measurement (stepfn_bench --map-memory N): (c) with one-digit results; the
    # driver builds the input (N integers) itself.
    d, _, _, _ = inline_map(small_results=True)
    d["Comment"] = "Inline Map for the memory measurement: (c) with one-digit results"
    files["c-inline-map-memory.asl.json"] = json.dumps(d, indent=1)

    files["workloads.json"] = json.dumps(manifest, indent=1)
    return files


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args()

    files = build_all()
    stale = []
    for name, text in files.items():
        path = os.path.join(HERE, name)
        text += "\n"
        if args.check:
            try:
                with open(path) as f:
                    if f.read() != text:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
        else:
            with open(path, "w") as f:
                f.write(text)
    if stale:
        sys.exit("gen.py --check: out of date: " + ", ".join(stale) + " (run bench/workloads/gen.py)")


if __name__ == "__main__":
    main()
