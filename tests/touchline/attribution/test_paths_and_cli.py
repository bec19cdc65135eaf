"""The CSV reader, the path transforms and the ``touchline attribution`` command."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from cli.main import main
from touchline.attribution import (
    AttributionError,
    Path,
    apply_transforms,
    read_paths_csv,
    write_paths_csv,
)

SAMPLE = """path;total_conversions;total_conversion_value;total_null;hours_before_end
 Paid Search >  Email ;3;300;10;100>0
Display > Paid Search > Direct;2;150;20;300 > 30 > 0
Direct;1;40;30;0
Display;0;0;40;2
"""


@pytest.fixture()
def sample(tmp_path):
    f = tmp_path / "paths.csv"
    f.write_text(SAMPLE)
    return f


def write(tmp_path, text):
    f = tmp_path / "in.csv"
    f.write_text(text)
    return str(f)


def test_reader_trims_channels_and_reads_every_column(sample):
    paths = read_paths_csv(sample)
    assert paths[0] == Path(("Paid Search", "Email"), 3, 300, 10, (100.0, 0.0))
    assert paths[1].channels == ("Display", "Paid Search", "Direct")
    assert paths[1].hours_before_end == (300.0, 30.0, 0.0)
    assert [p.conversions for p in paths] == [3, 2, 1, 0]


def test_reader_round_trips_through_the_writer(sample, tmp_path):
    paths = read_paths_csv(sample)
    out = tmp_path / "out.csv"
    write_paths_csv(paths, out)
    assert read_paths_csv(out) == paths


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("path,total_null\na,1\n", "line 1: missing column(s) total_conversions"),
        (
            "path,total_conversions\na > b,1\na > b,x\n",
            "line 3: total_conversions is 'x', not a number",
        ),
        (
            "path,total_conversions\na >  > b,1\n",
            "line 2: path 'a >  > b' has an empty channel name",
        ),
        ("path,total_conversions\n,1\n", "line 2: the path is empty"),
        ("path,total_conversions,total_null\na,-1,0\n", "line 2: conversions must be"),
        (
            "path,total_conversions,hours_before_end\na > b,1,5\n",
            "line 2: 1 hours_before_end values for 2 touches",
        ),
        ("path,total_conversions\na,1,2,3\n", "line 2: 4 fields but the header has 2"),
        ("path,total_conversions\n", "no paths after the header"),
        ("path,total_conversions,total_conversion_value\na,0,5\n", "line 2: a path with value"),
    ],
)
def test_reader_names_the_line_of_bad_input(tmp_path, text, message):
    with pytest.raises(AttributionError) as info:
        read_paths_csv(write(tmp_path, text))
    assert message in str(info.value)


def test_reader_refuses_missing_and_binary_files(tmp_path):
    with pytest.raises(AttributionError, match="no such file"):
        read_paths_csv(tmp_path / "missing.csv")
    binary = tmp_path / "b.csv"
    binary.write_bytes(b"path,total_conversions\n\xff\xfe,1\n")
    with pytest.raises(AttributionError, match="not a UTF-8 text file"):
        read_paths_csv(binary)


def test_transforms():
    p = Path(("Direct", "a", "a", "b", "a", "Direct"), 1, 5, 0, (50, 40, 30, 20, 10, 0))
    (exposure,) = apply_transforms([p], ["exposure"])
    assert exposure.channels == ("Direct", "a", "b", "a", "Direct")
    assert exposure.hours_before_end == (50, 40, 20, 10, 0)
    (unique,) = apply_transforms([p], ["unique"])
    assert unique.channels == ("Direct", "a", "b")
    assert unique.hours_before_end == (50, 40, 20)
    assert apply_transforms([p], ["first_occurrence"]) == [unique]
    (no_direct,) = apply_transforms([p], ["drop_direct"])
    assert no_direct.channels == ("a", "a", "b", "a")
    all_direct = Path(("Direct", "Direct"), 1, 1)
    assert apply_transforms([all_direct], ["drop_direct"]) == [all_direct]
    (both,) = apply_transforms([p], ["drop_direct", "exposure"])
    assert both.channels == ("a", "b", "a")
    assert (both.conversions, both.value) == (1, 5)
    with pytest.raises(AttributionError, match="unknown transform 'dedupe'"):
        apply_transforms([p], ["dedupe"])


def run(*args):
    return CliRunner().invoke(main, ["attribution", *args])


def test_cli_prints_a_table_of_one_model(sample):
    result = run("--paths", str(sample), "--model", "last_touch")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split() == ["CONVERSIONS", "last_touch"]
    assert "Direct" in lines[1] and lines[1].split()[-1] == "3"
    assert lines[5].split() == ["TOTAL", "6"]
    assert any(line.split() == ["Email", "300"] for line in lines)


def test_cli_json_maps_model_to_channel_to_credit(sample):
    result = run("--paths", str(sample), "--model", "all", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert list(data) == [
        "first_touch",
        "last_touch",
        "last_non_direct",
        "linear",
        "position_based",
        "time_decay",
        "markov",
        "shapley",
    ]
    assert data["first_touch"]["Display"] == {"conversions": 2.0, "value": 150.0}
    assert data["last_non_direct"]["Paid Search"] == {"conversions": 2.0, "value": 150.0}
    for model, per_channel in data.items():
        assert sum(c["conversions"] for c in per_channel.values()) == pytest.approx(6), model
        assert sum(c["value"] for c in per_channel.values()) == pytest.approx(490), model


def test_cli_csv_and_transform(sample):
    plain = run("--paths", str(sample), "--model", "linear", "--format", "csv")
    dropped = run(
        "--paths", str(sample), "--model", "linear", "--format", "csv", "--transform", "drop_direct"
    )
    assert plain.exit_code == 0 and dropped.exit_code == 0, dropped.output
    rows = {r["channel"]: r for r in csv.DictReader(io.StringIO(dropped.output))}
    # Display > Paid Search > Direct loses Direct: its 2 sales split over two touches;
    # the all-direct path keeps its one.
    assert float(rows["Direct"]["conversions"]) == pytest.approx(1)
    assert float(rows["Display"]["conversions"]) == pytest.approx(1)
    assert float(rows["Paid Search"]["conversions"]) == pytest.approx(1.5 + 1)
    assert rows["Direct"]["model"] == "linear"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--model", "u_shaped"], "unknown model 'u_shaped'"),
        (["--model", "linear", "--transform", "dedupe"], "unknown transform 'dedupe'"),
    ],
)
def test_cli_rejects_unknown_names(sample, args, message):
    result = run("--paths", str(sample), *args)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_cli_errors_are_one_line_without_a_traceback(tmp_path):
    bad = write(tmp_path, "path,total_conversions\na > b,1\nc,many\n")
    # a real process: what an analyst sees on the terminal
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "attribution", "--paths", bad, "--model", "markov"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip() == f"Error: {bad}, line 3: total_conversions is 'many', not a number"
    missing = run("--paths", str(tmp_path / "nope.csv"), "--model", "linear")
    assert missing.exit_code == 1 and "nope.csv: no such file" in missing.output


def test_cli_time_decay_needs_hours(tmp_path):
    f = write(tmp_path, "path,total_conversions\na > b,1\n")
    result = run("--paths", f, "--model", "time_decay")
    assert result.exit_code == 1 and "hours_before_end" in result.output
    # --model all still prints the other models and says why time_decay is missing
    everything = CliRunner().invoke(main, ["attribution", "--paths", f, "--model", "all"])
    assert everything.exit_code == 0
    assert "time_decay" not in everything.output.splitlines()[0]
    assert "time_decay skipped: 1 of 1 paths have no hours_before_end" in everything.output
