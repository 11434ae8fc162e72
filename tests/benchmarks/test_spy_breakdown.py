"""benchmarks/spy_breakdown.py sorts py-spy samples into buckets: the rules, on made-up stacks."""

from __future__ import annotations

from pathlib import Path

from benchmarks.spy_breakdown import breakdown, main, read_raw

MAIN = ("<module> (benchmarks/plan_scale.py:500);_timed (benchmarks/plan_scale_workers.py:120);"
        "run_program (planner/run.py:80)")
POOL = "Thread._bootstrap (threading.py:1002);_worker (concurrent/futures/thread.py:83)"
RAW = f"""\
{MAIN};load_catalogue (components/catalog.py:231);load_yaml (components/yamlfile.py:37) 30
{MAIN};register_resource (pulumi/runtime/resource.py:1157);create_urn (pulumi/runtime/resource.py:553) 10
{POOL};RecordingMonitor.RegisterResource (planner/mocks/monitor.py:229);MessageToDict (protobuf/json_format.py:128) 5
{POOL};RecordingMonitor.RegisterResource (planner/mocks/monitor.py:229);MockMonitor.RegisterResource (mocks.py:330) 5
{POOL} 40
<module> (benchmarks/plan_scale.py:500);program_worker (benchmarks/plan_scale_workers.py:200);load_yaml (x.py:1) 99
"""


def test_samples_go_to_the_first_matching_bucket_and_waits_and_warmup_are_left_out(tmp_path: Path) -> None:
    raw = tmp_path / "spy.txt"
    raw.write_text(RAW, encoding="utf-8")
    total, buckets = breakdown(read_raw(raw))
    assert total == 50  # the idle pool thread (40) and the warm-up outside _timed (99) are not counted
    assert buckets["catalogue: YAML load (line tracking)"] == 30
    assert buckets["SDK: URNs and aliases"] == 10
    assert buckets["RecordingMonitor: MessageToDict + plain_inputs"] == 5
    assert buckets["SDK MockMonitor.RegisterResource (the floor pays it too)"] == 5


def test_main_prints_shares(tmp_path: Path, capsys) -> None:
    raw = tmp_path / "spy.txt"
    raw.write_text(RAW, encoding="utf-8")
    assert main([str(raw)]) == 0
    out = capsys.readouterr().out
    assert "busy samples in the measured run: 50" in out
    assert " 60.0%  catalogue: YAML load" in out
