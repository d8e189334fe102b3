#!/usr/bin/env python3
"""Where a stepfn server's CPU time goes, from a perf recording with call stacks.

    perf record -F 499 --call-graph dwarf,16384 -p $(pidof stepfn) -o perf.data   # during a load
    perf script -i perf.data -F tid,ip,sym,dso | bench/server/perf_split.py

Prints, per thread and for the whole process, the share of samples in each part of the server:
each sample goes to the first category (in the order below) that any frame of its stack
matches, so malloc, memcpy and the kernel are charged to whatever called them; a second table
charges samples by their innermost frame (what code the CPU was running). Thread names are
guessed from the stack (the committer, executor workers, HTTP loops, the timer thread).
"""
import collections
import re
import sys

# (category, regex over "symbol (dso)") in priority order: the first that matches any frame.
CATEGORIES = [
    ("store: fsync (kernel, waits for the disk)", r"\b(fsync|fdatasync|__x64_sys_fsync|__x64_sys_fdatasync|ext4_sync_file|file_write_and_wait)"),
    ("store: SQLite writes (pwrite, WAL, b-trees)", r"libsqlite3|\bsqlite3_|stepfn::store::sqlite::"),
    ("store: batching, callbacks, queue", r"stepfn::store::"),
    ("encoding: execution state blob", r"EncodeState|EncodeExecutionBlob|state_codec|StateEncoder|DecodeState"),
    ("JSON: history event details to text", r"server::\(anonymous namespace\)::EventRecord|EventRecord"),
    ("engine: eval::Step (the interpreter)", r"stepfn::eval::"),
    ("executor: bookkeeping (inbox, commit callbacks, dispatch, mocks)", r"stepfn::server::Executor|stepfn::engine::"),
    ("timers", r"TimerQueue"),
    ("API operations (awsJson, request parsing)", r"stepfn::server::|stepfn::api::AwsJson|stepfn::api::Authenticate|stepfn::json::"),
    ("HTTP (Beast, sockets)", r"boost::|stepfn::api::|tcp_|sock_|__sys_sendmsg|__sys_recvfrom|epoll"),
    ("locks, wake-ups, scheduling", r"futex|pthread_cond|pthread_mutex|__lll_lock|schedule|try_to_wake_up"),
]
COMPILED = [(name, re.compile(rx)) for name, rx in CATEGORIES]

LEAF = [
    ("SQLite (user space)", r"libsqlite3"),
    ("kernel", r"\[kernel.kallsyms\]"),  # split below by the callers
    ("malloc / free (glibc)", r"^(malloc|free|cfree|_int_malloc|_int_free|_int_realloc|realloc|malloc_consolidate|unlink_chunk|tcache|__libc_malloc|__libc_free|operator new|operator delete)"),
    ("memcpy / memmove / memset", r"^__mem(move|cpy|set)|^memcpy|^memmove"),
    ("stepfn: JSON", r"stepfn::json::"),
    ("stepfn: eval", r"stepfn::eval::"),
    ("stepfn: store", r"stepfn::store::"),
    ("stepfn: server", r"stepfn::server::"),
    ("stepfn: other", r"stepfn::"),
    ("std::function / shared_ptr / libstdc++", r"std::|libstdc\+\+"),
    ("other user space", r"."),
]
LEAF_C = [(name, re.compile(rx)) for name, rx in LEAF]
KERNEL_NET = re.compile(r"tcp_|ip_|sock|skb|napi|net_|__sys_send|__sys_recv|inet_|loopback")
KERNEL_FILE = re.compile(r"ext4|filemap|folio|iomap|jbd2|blk_|writeback|pwrite|pread|vfs_(read|write)|fdatasync|fsync|generic_perform_write")
KERNEL_SCHED = re.compile(r"schedule|futex|wake|switch|finish_task|pick_next|enqueue|dequeue|idle")


def thread_role(frames):
    text = " ".join(frames)
    if "CommitterLoop" in text:
        return "store committer"
    if "Executor::WorkerLoop" in text:
        return "executor worker"
    if "HttpServer" in text or "scheduler::run" in text:
        return "HTTP loop"
    if "TimerQueue" in text:
        return "timer"
    return None


def main():
    samples = []  # (tid, frames innermost first)
    tid, frames = None, []
    for line in sys.stdin:
        if not line.strip():
            if tid is not None:
                samples.append((tid, frames))
            tid, frames = None, []
            continue
        if re.match(r"^\s*\d+\s*$", line):  # a sample's thread id (perf pads it)
            if tid is not None:
                samples.append((tid, frames))
            tid = line.split()[0]
            frames = []
        else:
            parts = line.strip().split(None, 1)
            frames.append(parts[1] if len(parts) > 1 else parts[0])
    if tid is not None:
        samples.append((tid, frames))
    if not samples:
        sys.exit("no samples on stdin (perf script -F tid,ip,sym,dso)")

    roles = collections.defaultdict(collections.Counter)
    for t, fr in samples:
        r = thread_role(fr)
        if r:
            roles[t][r] += 1
    role_of = {t: c.most_common(1)[0][0] for t, c in roles.items()}

    by_thread = collections.defaultdict(collections.Counter)
    leaf_all = collections.Counter()
    for t, fr in samples:
        cat = "other"
        for name, rx in COMPILED:
            if any(rx.search(f) for f in fr):
                cat = name
                break
        who = f"{role_of.get(t, 'thread')} ({t})"
        by_thread[who][cat] += 1
        by_thread["all threads"][cat] += 1
        leaf = fr[0] if fr else "?"
        lc = "other"
        for name, rx in LEAF_C:
            if rx.search(leaf):
                lc = name
                break
        if lc.startswith("kernel"):
            # Kernel leaves by what called them (the first few frames up the stack).
            chain = " ".join(f.split(" (")[0] for f in fr[:12])
            if KERNEL_FILE.search(chain):
                lc = "kernel: file writes and reads, page cache, fsync"
            elif KERNEL_NET.search(chain):
                lc = "kernel: network (loopback TCP)"
            elif KERNEL_SCHED.search(chain):
                lc = "kernel: scheduling, wake-ups, futex"
            else:
                lc = "kernel: other (syscall entry, epoll, page faults)"
        leaf_all[lc] += 1

    total = len(samples)
    print(f"{total} samples\n")
    print("| where (by caller) | " + " | ".join(k for k in by_thread if k != "all threads") + " | all threads |")
    print("|---|" + "---:|" * len(by_thread))
    cats = [c for c, _ in CATEGORIES] + ["other"]
    keys = [k for k in by_thread if k != "all threads"] + ["all threads"]
    for c in cats:
        row = [f"{100.0 * by_thread[k][c] / total:.1f}%" for k in keys]
        if any(by_thread[k][c] for k in keys):
            print(f"| {c} | " + " | ".join(row) + " |")
    print("| total | " + " | ".join(f"{100.0 * sum(by_thread[k].values()) / total:.1f}%" for k in keys) + " |")
    print()
    print("| innermost frame | share |")
    print("|---|---:|")
    for c, n in leaf_all.most_common():
        print(f"| {c} | {100.0 * n / total:.1f}% |")


if __name__ == "__main__":
    main()
