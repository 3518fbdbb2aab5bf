#!/usr/bin/env python3
"""Writes benchmarks/RESULTS.md and benchmarks/results.svg from the suite's results.

    python3 tools/bench_report.py [--results benchmarks/results] [--markdown benchmarks/RESULTS.md]
                                  [--svg benchmarks/results.svg]

Reads the Google Benchmark JSON files `<workload>.<process>.json` (benchmark names are
`<workload>/<system>[/<variant>]`, see benchmarks/common.hpp), `callgrind.json` and `meta.json`
that tools/bench.sh writes. Every figure is the median over all repetitions of all processes;
[min-max] follow. Exits 3 when a benchmark failed (an error that is not a "skipped: " one).
Standard library only: the chart is hand-written SVG.
"""

import argparse
import glob
import html
import json
import math
import os
import statistics
import sys

SYSTEMS = ["poolify", "tbb", "asio", "textbook"]
PEERS = SYSTEMS[1:]
SYSTEM_NAMES = {"poolify": "poolify", "tbb": "oneTBB", "asio": "Asio", "textbook": "textbook pool"}
COLORS = {"poolify": "#e8590c", "tbb": "#1c7ed6", "asio": "#2f9e44", "textbook": "#868e96"}


# --------------------------------------------------------------------------------------------
# Reading


def parse_name(run_name):
    """'scaling/tbb/workers:4/iterations:1/real_time' -> ('scaling', 'tbb', 'workers:4')."""
    parts = [p for p in run_name.split("/")
             if not (p.startswith("iterations:") or p.startswith("repeats:") or p.startswith("min_time:")
                     or p.startswith("threads:") or p in ("real_time", "manual_time", "process_time"))]
    workload = parts[0] if parts else run_name
    system = parts[1] if len(parts) > 1 else "?"
    variant = "/".join(parts[2:])
    return workload, system, variant


TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


class Results:
    def __init__(self, directory):
        self.samples = {}  # (workload, system, variant) -> {metric: [values]}
        self.skipped = {}  # (workload, system, variant) -> reason
        self.errors = {}  # (workload, system, variant) -> message
        self.contexts = []
        self.files = sorted(glob.glob(os.path.join(directory, "*.*.json")))
        for path in self.files:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
            self.contexts.append(data.get("context", {}))
            for entry in data.get("benchmarks", []):
                if entry.get("run_type", "iteration") != "iteration":
                    continue
                key = parse_name(entry.get("run_name", entry["name"]))
                if entry.get("error_occurred"):
                    message = entry.get("error_message", "error")
                    if message.startswith("skipped: "):
                        self.skipped[key] = message[len("skipped: "):]
                    else:
                        self.errors[key] = message
                    continue
                metrics = self.samples.setdefault(key, {})
                metrics.setdefault("time_ms", []).append(entry["real_time"] * TO_MS.get(entry.get("time_unit", "ns"), 1e-6))
                for name, value in entry.items():
                    if name in ("real_time", "cpu_time", "iterations", "repetitions", "repetition_index", "threads",
                                "family_index", "per_family_instance_index"):
                        continue
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        metrics.setdefault(name, []).append(float(value))
        meta_path = os.path.join(directory, "meta.json")
        self.meta = json.load(open(meta_path, encoding="utf-8")) if os.path.exists(meta_path) else {}
        callgrind_path = os.path.join(directory, "callgrind.json")
        self.callgrind = json.load(open(callgrind_path, encoding="utf-8")) if os.path.exists(callgrind_path) else None

    def values(self, workload, system, variant, metric):
        return self.samples.get((workload, system, variant), {}).get(metric, [])

    def stat(self, workload, system, variant, metric):
        """(median, min, max, count) or None."""
        values = self.values(workload, system, variant, metric)
        if workload == "callgrind" and self.callgrind:
            for entry in self.callgrind.get("results", []):
                if entry["system"] == system and entry["mode"] == variant:
                    v = float(entry["per_task"])
                    return (v, v, v, 1)
            return None
        if not values:
            return None
        return (statistics.median(values), min(values), max(values), len(values))

    def absent_reason(self, workload, system, variant):
        key = (workload, system, variant)
        if key in self.errors:
            return "FAILED: " + self.errors[key]
        if key in self.skipped:
            return self.skipped[key]
        return None

    def peers_found(self):
        found = set()
        for (workload, system, variant) in list(self.samples) + list(self.skipped) + list(self.errors):
            found.add(system)
        if self.callgrind:
            found.update(e["system"] for e in self.callgrind.get("results", []))
        return [s for s in PEERS if s in found]


# --------------------------------------------------------------------------------------------
# What the report shows


class Row:
    """One line of the table and one group of bars in the chart."""

    def __init__(self, workload, variant, metric, label, unit, better, target=None, target_text="",
                 chart=True, ratio=True, against=None):
        self.workload, self.variant, self.metric = workload, variant, metric
        self.label, self.unit, self.better = label, unit, better
        self.target = target  # function(row, stats) -> (met: bool|None, target_value_for_chart|None)
        self.target_text, self.chart = target_text, chart
        self.ratio = ratio  # whether poolify : best peer means something for this figure
        self.against = against  # the peer the target names, when it is not "the best peer"


def best_peer(stats, better):
    peers = [(s, stats[s][0]) for s in PEERS if stats.get(s)]
    if not peers:
        return None, None
    pick = max if better == "higher" else min
    return pick(peers, key=lambda p: p[1])


def ratio_target(threshold, compare, against=None):
    """Target on poolify / peer (the best peer, or `against`): compare is '>=' or '<='."""

    def evaluate(row, stats):
        pool = stats.get("poolify")
        if against:
            ref = stats.get(against)
            ref_value = ref[0] if ref else None
        else:
            _, ref_value = best_peer(stats, row.better)
        if not pool or not ref_value:
            return None, None
        ratio = pool[0] / ref_value
        met = ratio >= threshold if compare == ">=" else ratio <= threshold
        return met, ref_value * threshold

    return evaluate


def absolute_target(threshold, compare):
    def evaluate(row, stats):
        pool = stats.get("poolify")
        if not pool:
            return None, threshold
        met = pool[0] >= threshold if compare == ">=" else (pool[0] < threshold if compare == "<" else pool[0] <= threshold)
        return met, threshold

    return evaluate


ROWS = [
    Row("submit_futures", "", "tasks_per_s", "submit_futures: 1M tasks with futures, wait all", "rate", "higher",
        ratio_target(3.0, ">="), ">= 3.0x best peer"),
    Row("submit_detached", "", "tasks_per_s", "submit_detached: 1M fire-and-forget tasks, drain", "rate", "higher",
        ratio_target(1.0, ">=", against="tbb"), ">= 1.0x oneTBB", against="tbb"),
    Row("round_trip", "", "median_us", "round_trip: submit one task and wait, median", "us", "lower",
        ratio_target(0.5, "<="), "<= 0.5x best peer"),
    Row("round_trip", "", "p99_us", "round_trip: p99", "us", "lower", None, "(information)"),
    Row("round_trip", "workers:1", "median_us", "round_trip with 1 worker: median", "us", "lower", None,
        "(information)"),
    Row("fork_join_fib", "", "time_ms", "fork_join_fib: fib(30) by nested submit + wait, no cutoff", "ms", "lower",
        ratio_target(0.7, "<=", against="tbb"), "<= 0.7x oneTBB", against="tbb"),
    Row("fork_join_fib", "spawn:one", "time_ms", "fork_join_fib spawning one child: fib(k - 2) by the caller", "ms",
        "lower", None, "(information)"),
    Row("fork_join_fib", "cutoff:16", "time_ms", "fork_join_fib with cutoff 16: fib(k < 16) by plain recursion", "ms",
        "lower", None, "(information)"),
    Row("skewed_load", "", "makespan_ratio", "skewed_load: heavy-tailed tasks, makespan / ideal", "x", "lower",
        absolute_target(1.10, "<="), "poolify <= 1.10"),
    Row("idle_cpu", "", "cpu_ms_per_s", "idle_cpu: CPU burnt by an idle pool", "ms/s", "lower",
        absolute_target(1.0, "<"), "poolify < 1 ms/s"),
    Row("memory", "", "bytes_per_task", "memory: peak bytes per queued int task", "B", "lower",
        absolute_target(128, "<="), "poolify <= 128 B"),
    Row("memory", "", "heap_bytes_per_task", "memory: glibc heap bytes per queued task", "B", "lower", None,
        "(information: blind to tbbmalloc)", chart=False, ratio=False),
    Row("scaling", "workers:1", "tasks_per_s", "scaling: fire-and-forget tasks/s, 1 worker", "rate", "higher", None,
        "(see below)"),
    Row("scaling", "workers:2", "tasks_per_s", "scaling: 2 workers", "rate", "higher", None, "(see below)"),
    Row("scaling", "workers:4", "tasks_per_s", "scaling: 4 workers", "rate", "higher", None, "(see below)"),
    Row("scaling", "workers:8", "tasks_per_s", "scaling: 8 workers", "rate", "higher", None, "(see below)"),
    Row("callgrind", "get", "per_task", "callgrind: instructions per execute + get (1 worker)", "instr", "lower",
        None, "(information)"),
    Row("callgrind", "detached", "per_task", "callgrind: instructions per fire-and-forget task (1 worker)", "instr",
        "lower", None, "(information)"),
]


def fmt(value, unit):
    if value is None:
        return "-"
    if unit == "rate":
        if value >= 1e6:
            return f"{value / 1e6:.2f} M/s"
        return f"{value / 1e3:.0f} k/s"
    if unit == "us":
        return f"{value:.2f} us" if value < 100 else f"{value:.0f} us"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "ms/s":
        return f"{value:.3f} ms/s" if value < 10 else f"{value:.1f} ms/s"
    if unit == "B":
        return f"{value:.0f} B"
    if unit == "x":
        return f"{value:.3f}"
    if unit == "instr":
        return f"{value:,.0f}"
    return f"{value:.3g}"


def fmt_range(stat, unit):
    if stat is None:
        return "-"
    median, low, high, count = stat
    if count <= 1 or low == high:
        return fmt(median, unit)
    short = {"rate": lambda v: f"{v / 1e6:.2f}", "us": lambda v: f"{v:.2f}", "ms": lambda v: f"{v:.1f}",
             "ms/s": lambda v: f"{v:.3f}", "B": lambda v: f"{v:.0f}", "x": lambda v: f"{v:.3f}"}.get(unit,
                                                                                                   lambda v: f"{v:.3g}")
    return f"{fmt(median, unit)} [{short(low)}-{short(high)}]"


def collect(results, row):
    return {s: results.stat(row.workload, s, row.variant, row.metric) for s in SYSTEMS}


def poolify_ratio(row, stats):
    name, value = best_peer(stats, row.better)
    pool = stats.get("poolify")
    if not pool or not value:
        return None, name
    return pool[0] / value, name


# --------------------------------------------------------------------------------------------
# Markdown


def markdown(results, out_path):
    meta = results.meta
    context = results.contexts[0] if results.contexts else {}
    peers = results.peers_found()
    lines = []
    add = lines.append
    add("# poolify benchmark results")
    add("")
    add("Generated by `tools/bench.sh` (which runs `tools/bench_report.py`); do not edit by hand. "
        "What each workload does, and how it is checked: the comment at the top of `benchmarks/<workload>.cpp`.")
    add("")
    add("## The run")
    add("")
    commit = meta.get("commit", "unknown")
    if meta.get("headers_modified"):
        commit += " (with uncommitted changes to include/ or single_include/)"
    compiler = meta.get("compiler") or context.get("poolify_compiler", "?")
    add(f"- Date: {meta.get('date', context.get('date', '?'))}; commit {commit}")
    add(f"- Machine: {meta.get('cpu', '?')}, {meta.get('cores', context.get('num_cpus', '?'))} cores, "
        f"{meta.get('memory', '?')} memory, {meta.get('kernel', '?')}")
    add(f"- Compiler: {compiler}; CMake Release build (-O3 -DNDEBUG); "
        f"Google Benchmark library built as '{context.get('library_build_type', '?')}' (its own code is not timed)")
    found = context.get("poolify_peers", "")
    skipped = sorted({c.get("poolify_skipped_peers", "") for c in results.contexts if c.get("poolify_skipped_peers")})
    add(f"- Peers: {found or '?'}" + (f"; skipped: {', '.join(skipped)}" if skipped else "; none skipped"))
    add(f"- Every figure: the median over {meta.get('processes', '?')} processes x {meta.get('repetitions', '?')} "
        f"repetitions (random interleaving within a process), [min-max] after it; 2 workers per pool unless "
        f"the row says otherwise. Load average {meta.get('load_before', '?')} before the run, "
        f"{meta.get('load_after', '?')} after; the run took {meta.get('seconds', '?')} s.")
    if meta.get("workloads_run") and meta.get("workloads_run") != " ".join(
            ["submit_futures", "submit_detached", "round_trip", "fork_join_fib", "skewed_load", "strategies",
             "idle_cpu", "memory", "scaling", "events", "callgrind"]):
        add(f"- The last run re-ran only: {meta['workloads_run']}; the other rows come from the run before.")
    add("")
    add("The machines are shared and noisy: compare ratios measured in the same run, not absolute figures "
        "across runs.")
    add("")
    add("## poolify against its peers")
    add("")
    header = ["Workload and figure", "poolify"] + [SYSTEM_NAMES[p] for p in peers] + [
        "poolify : best peer", "Target", "Met"]
    add("| " + " | ".join(header) + " |")
    add("|" + "|".join(["---"] + ["---:"] * (1 + len(peers) + 1) + ["---", "---"]) + "|")
    for row in ROWS:
        stats = collect(results, row)
        cells = [row.label]
        for system in ["poolify"] + peers:
            stat = stats.get(system)
            if stat:
                cells.append(fmt_range(stat, row.unit))
            else:
                reason = results.absent_reason(row.workload, system, row.variant)
                cells.append(f"*{reason}*" if reason else "-")
        ratio, best = poolify_ratio(row, stats)
        text = f"{ratio:.2f}x ({SYSTEM_NAMES[best]})" if ratio is not None and row.ratio else "-"
        if row.ratio and row.against and row.against != best and stats.get("poolify") and stats.get(row.against):
            text += f"; {stats['poolify'][0] / stats[row.against][0]:.2f}x {SYSTEM_NAMES[row.against]}"
        cells.append(text)
        cells.append(row.target_text)
        met = None
        if row.target:
            met, _ = row.target(row, stats)
            if met is None and results.absent_reason(row.workload, "poolify", row.variant):
                met = False
        cells.append("-" if row.target is None else ("yes" if met else ("**no**" if met is False else "?")))
        add("| " + " | ".join(cells) + " |")
    add("")
    # Strategies and scaling summary: poolify-only rows.
    add("## poolify alone")
    add("")
    add("| Figure | Value | Target | Met |")
    add("|---|---:|---|---|")
    rr = results.stat("strategies", "poolify", "strategy:round_robin", "submit_ns_per_task")
    strategy_variants = sorted({v for (w, s, v) in results.samples if w == "strategies" and s == "poolify"},
                               key=lambda v: (v != "strategy:round_robin", v))
    for variant in strategy_variants:
        stat = results.stat("strategies", "poolify", variant, "submit_ns_per_task")
        name = variant.split(":", 1)[-1]
        value = (f"{stat[0]:.0f} ns per execute() [{stat[1]:.0f}-{stat[2]:.0f}]" if stat[3] > 1 else
                 f"{stat[0]:.0f} ns per execute()") if stat else "-"
        if variant == "strategy:round_robin" or not rr or not stat:
            add(f"| strategies: submit cost, {name} | {value} | (reference) | - |")
        else:
            ratio = stat[0] / rr[0]
            add(f"| strategies: submit cost, {name} | {value}, {ratio:.2f}x round robin | <= 1.5x round robin | "
                f"{'yes' if ratio <= 1.5 else '**no**'} |")
    rates = {w: results.stat("scaling", "poolify", f"workers:{w}", "tasks_per_s") for w in (1, 2, 4, 8)}
    if rates[8] and (rates[1] or rates[2]):
        base = max(r[0] for r in (rates[1], rates[2]) if r)
        keep = rates[8][0] / base
        add(f"| scaling: tasks/s at 8 workers / best of 1 and 2 workers | {keep:.2f} | no collapse: >= 0.5 "
            f"(our reading) | {'yes' if keep >= 0.5 else '**no**'} |")
        for system in peers:
            peer_rates = {w: results.stat("scaling", system, f"workers:{w}", "tasks_per_s") for w in (1, 2, 8)}
            if peer_rates[8] and (peer_rates[1] or peer_rates[2]):
                peer_base = max(r[0] for r in (peer_rates[1], peer_rates[2]) if r)
                add(f"| (the same for {SYSTEM_NAMES[system]}) | {peer_rates[8][0] / peer_base:.2f} | | |")
    disabled = results.stat("events", "poolify", "events:disabled", "tasks_per_s")
    for variant, name in (("events:no_listener", "enabled, no listener"), ("events:listeners", "busy, busy_end and task_error listeners")):
        stat = results.stat("events", "poolify", variant, "tasks_per_s")
        if not stat or not disabled:
            continue
        ratio = stat[0] / disabled[0]
        target = "within noise of disabled (>= 0.95x, our reading)" if variant == "events:no_listener" else "(cost of listening)"
        met = ("yes" if ratio >= 0.95 else "**no**") if variant == "events:no_listener" else "-"
        add(f"| events: fire-and-forget tasks/s, {name} | {fmt_range(stat, 'rate')}, {ratio:.2f}x events disabled "
            f"({fmt(disabled[0], 'rate')}) | {target} | {met} |")
    add("")
    add("## Not run, and failures")
    add("")
    notes = []
    for key, reason in sorted(results.skipped.items()):
        notes.append(f"- `{'/'.join(k for k in key if k)}`: skipped: {reason}")
    for key, message in sorted(results.errors.items()):
        notes.append(f"- `{'/'.join(k for k in key if k)}`: **FAILED**: {message}")
    if results.callgrind is None:
        notes.append("- callgrind: not run (valgrind missing, or BENCH_CALLGRIND_TASKS=0)")
    lines.extend(notes if notes else ["Nothing: every benchmark ran and every result checked out."])
    add("")
    add("## How to read it")
    add("")
    add("- Throughputs (tasks/s): higher is better; times, memory, CPU and instructions: lower is better. "
        "`poolify : best peer` divides poolify's median by the best peer's median for that row, so above 1 "
        "is better for throughputs and below 1 is better for the rest.")
    add("- oneTBB runs in a `tbb::task_arena` with 2 worker threads plus a slot for the submitting thread, "
        "which helps run tasks while it waits (`task_group::wait`): that is oneTBB's design. Asio is "
        "`asio::thread_pool` + `asio::post`; the textbook pool is in `benchmarks/peers.hpp`. oneTBB and Asio "
        "return `std::packaged_task` futures where a workload needs futures. poolify uses its default "
        "strategy (least used) except in `skewed_load` (round robin) and `strategies`.")
    add("- `fork_join_fib`: each call of fib(k), k >= 2, submits fib(k - 1) and fib(k - 2) as tasks of the same "
        "pool and waits for both from inside its task (2.7M tasks; oneTBB: a `task_group` per call, run, run, "
        "wait); poolify's `get()` on a worker is a helping wait. `spawn:one` submits fib(k - 1) only and computes "
        "fib(k - 2) itself (1.3M tasks); `cutoff:16` computes fib(k < 16) by plain recursion (3193 tasks); both "
        "are for information, the target is the first row's. Asio and the textbook pool have no wait that runs "
        "other work: a nested `get()` blocks its worker and 2 workers deadlock, so they are not run.")
    add("- `skewed_load`: 1000 tasks of Pareto-distributed length (alpha 1.5, from 50 us, at most 20 ms, "
        "fixed seed); the ideal makespan is max(total task time / threads, longest task), with task times "
        "measured by the tasks themselves.")
    add("- `memory`: each measurement in a fresh child process; resident-set peak growth while 1M tasks are "
        "queued behind blocked workers, divided by 1M.")
    add("- `callgrind`: `valgrind --tool=callgrind` counts every instruction of the program on a 1-worker "
        "pool for N and 2N tasks after the same warm-up (2N fire-and-forget tasks, or 1000 gets, on the same "
        "pool); (Ir(2N) - Ir(N)) / N is what one more task costs in a warmed-up pool, over all threads. "
        "Under valgrind the threads take turns, so a wait that spins before it sleeps counts its spinning: "
        "for pools that spin before they sleep (poolify, oneTBB) the execute + get figure is mostly "
        "the spinning of the waiting thread and of the idle worker"
        + (f" (N = {results.callgrind.get('tasks')})." if results.callgrind else "."))
    add("")
    add("![poolify against its peers, relative to the best peer](results.svg)")
    add("")
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


# --------------------------------------------------------------------------------------------
# SVG chart: one group of horizontal bars per row, each bar the system's figure relative to the
# best peer's (>1: better than the best peer), on a log scale, diverging from 1.


def svg(results, out_path):
    peers = results.peers_found()
    systems = ["poolify"] + peers
    rows = [r for r in ROWS if r.chart]
    bar_h, bar_gap, group_gap = 13, 2, 16
    left, top = 300, 96
    plot_w = 540
    label_w = 170
    lo, hi = -6, 7  # log2 of the scale's ends: 1/64 .. 128

    def x_of(score):
        score = min(max(score, 2.0 ** lo), 2.0 ** hi)
        return left + (math.log2(score) - lo) / (hi - lo) * plot_w

    group_h = len(systems) * (bar_h + bar_gap) + group_gap
    plot_top, plot_bottom = top - 6, top + len(rows) * group_h - group_gap + 6
    height = plot_bottom + 52
    width = left + plot_w + label_w + 10
    label_x = left + plot_w + 12
    out = []
    e = out.append
    e(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
      f'font-family="Helvetica, Arial, sans-serif" font-size="12">')
    e(f'<rect width="{width}" height="{height}" fill="white"/>')
    title = "poolify against its peers: each figure relative to the best peer's"
    e(f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="16" font-weight="bold">{html.escape(title)}</text>')
    meta = results.meta
    sub = (f"log scale; right of 1x = better than the best peer. {meta.get('cpu', '')}, {meta.get('cores', '?')} cores, "
           f"{meta.get('date', '')[:10]}, commit {meta.get('commit', '?')}"
           + (" + uncommitted header changes" if meta.get("headers_modified") else ""))
    e(f'<text x="{width / 2}" y="40" text-anchor="middle" fill="#495057">{html.escape(sub)}</text>')
    # Legend.
    lx = left
    for system in systems:
        e(f'<rect x="{lx}" y="52" width="12" height="12" fill="{COLORS[system]}"/>')
        e(f'<text x="{lx + 16}" y="62">{html.escape(SYSTEM_NAMES[system])}</text>')
        lx += 16 + 7 * len(SYSTEM_NAMES[system]) + 18
    e(f'<line x1="{lx + 6}" y1="50" x2="{lx + 6}" y2="66" stroke="#c92a2a" stroke-width="2" stroke-dasharray="3 2"/>')
    e(f'<text x="{lx + 14}" y="62">poolify\'s target</text>')
    e(f'<text x="{label_x}" y="{plot_top - 4}" fill="#495057" font-size="11">median, and x the best peer</text>')
    # Grid.
    for exp in range(lo, hi + 1):
        x = x_of(2.0 ** exp)
        strong = exp == 0
        e(f'<line x1="{x:.1f}" y1="{plot_top}" x2="{x:.1f}" y2="{plot_bottom}" '
          f'stroke="{"#212529" if strong else "#dee2e6"}" stroke-width="{1.5 if strong else 1}"/>')
        label = f"{2 ** exp:g}x" if exp >= 0 else f"1/{2 ** -exp:g}"
        e(f'<text x="{x:.1f}" y="{plot_bottom + 16}" text-anchor="middle" fill="#495057" font-size="11">{label}</text>')
    e(f'<text x="{x_of(1) - 8:.1f}" y="{plot_bottom + 34}" text-anchor="end" fill="#495057" font-size="11">'
      f'&#8592; worse than the best peer</text>')
    e(f'<text x="{x_of(1) + 8:.1f}" y="{plot_bottom + 34}" fill="#495057" font-size="11">'
      f'better than the best peer &#8594;</text>')
    # Groups.
    floor = 1e-3
    for index, row in enumerate(rows):
        stats = collect(results, row)
        y0 = top + index * group_h
        if index % 2 == 0:
            e(f'<rect x="4" y="{y0 - 5}" width="{width - 8}" height="{group_h - group_gap + 10}" fill="#f1f3f5"/>')
        label = row.label.split(": ", 1)
        e(f'<text x="{left - 10}" y="{y0 + 11}" text-anchor="end" font-weight="bold">{html.escape(label[0])}</text>')
        if len(label) > 1:
            e(f'<text x="{left - 10}" y="{y0 + 26}" text-anchor="end" fill="#495057" font-size="11">'
              f'{html.escape(label[1][:48])}</text>')
        if row.target_text and row.target:
            e(f'<text x="{left - 10}" y="{y0 + 41}" text-anchor="end" fill="#c92a2a" font-size="11">'
              f'target: {html.escape(row.target_text)}</text>')
        _, best_value = best_peer(stats, row.better)
        for k, system in enumerate(systems):
            y = y0 + k * (bar_h + bar_gap)
            stat = stats.get(system)
            if not stat or not best_value:
                reason = results.absent_reason(row.workload, system, row.variant)
                text = f"{SYSTEM_NAMES[system]}: {reason or 'not measured'}"
                e(f'<text x="{x_of(2.0 ** lo) + 4:.1f}" y="{y + 10}" fill="{COLORS[system]}" font-size="11" '
                  f'font-style="italic">{html.escape(text[:95])}</text>')
                continue
            value = max(stat[0], floor)
            score = value / best_value if row.better == "higher" else max(best_value, floor) / value
            x1, x0 = x_of(score), x_of(1)
            xa, xb = min(x0, x1), max(x0, x1)
            tip = f"{SYSTEM_NAMES[system]}: {fmt(stat[0], row.unit)} ({score:.2f}x the best peer)"
            e(f'<rect x="{xa:.1f}" y="{y}" width="{max(xb - xa, 2):.1f}" height="{bar_h}" fill="{COLORS[system]}">'
              f'<title>{html.escape(tip)}</title></rect>')
            if score > 2.0 ** hi or score < 2.0 ** lo:  # off the scale: an arrow head at the end
                tip_x = x_of(score)
                direction = 1 if score > 1 else -1
                e(f'<path d="M{tip_x:.1f} {y - 1} l{6 * direction} {bar_h / 2 + 1} l{-6 * direction} {bar_h / 2 + 1} z" '
                  f'fill="{COLORS[system]}"/>')
            weight = ' font-weight="bold"' if system == "poolify" else ""
            e(f'<text x="{label_x}" y="{y + 10}" font-size="11"{weight} fill="{COLORS[system] if system == "poolify" else "#343a40"}">'
              f'{html.escape(fmt(stat[0], row.unit))}</text>')
            e(f'<text x="{label_x + label_w - 14}" y="{y + 10}" font-size="11" text-anchor="end"{weight}>{score:.2f}x</text>')
        # The target, in the same terms as poolify's bar: a dashed line across the group.
        if row.target and best_value:
            _, target_value = row.target(row, stats)
            if target_value:
                target_value = max(target_value, floor)
                score = target_value / best_value if row.better == "higher" else max(best_value, floor) / target_value
                tx = x_of(score)
                e(f'<line x1="{tx:.1f}" y1="{y0 - 4}" x2="{tx:.1f}" y2="{y0 + group_h - group_gap + 3}" stroke="#c92a2a" '
                  f'stroke-width="2" stroke-dasharray="3 2"><title>target: {html.escape(row.target_text)}</title></line>')
    e('</svg>')
    with open(out_path, "w", encoding="utf-8") as f:
        f.write("\n".join(out) + "\n")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    bench_dir = os.path.join(os.path.dirname(here), "benchmarks")
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", default=os.path.join(bench_dir, "results"))
    parser.add_argument("--markdown", default=os.path.join(bench_dir, "RESULTS.md"))
    parser.add_argument("--svg", default=os.path.join(bench_dir, "results.svg"))
    args = parser.parse_args()
    results = Results(args.results)
    if not results.files:
        print(f"bench_report.py: no results in {args.results}: run tools/bench.sh", file=sys.stderr)
        return 1
    markdown(results, args.markdown)
    svg(results, args.svg)
    if results.errors:
        for key, message in sorted(results.errors.items()):
            print(f"bench_report.py: FAILED {'/'.join(k for k in key if k)}: {message}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
