"""The ad platforms are listed once, in touchline/platforms.py. Before, four
modules each kept their own copy "in step" by hand, and a new platform missed
one. This test fails when Python code spells out three or more platform names in
one literal anywhere else. Tables of per-platform data that may cover only some
platforms (the demo's campaign names, the tests' account ids) are named below."""

from __future__ import annotations

import ast
import subprocess

from tests.support.processes import REPO
from touchline.platforms import PLATFORMS

THE_LIST = "touchline/platforms.py"
PER_PLATFORM_DATA = {"demo/fakes/connect.py", "tests/support/platforms.py"}


def literals_naming_platforms(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
            items = node.elts
        elif isinstance(node, ast.Dict):
            items = [k for k in node.keys if k is not None]
        else:
            continue
        named = {i.value for i in items if isinstance(i, ast.Constant) and i.value in PLATFORMS}
        if len(named) >= 3:
            lines.append(node.lineno)
    return lines


def test_no_second_copy_of_the_platform_list() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    copies = {
        path: lines
        for path in listed
        if path != THE_LIST and path not in PER_PLATFORM_DATA and (REPO / path).exists()
        for lines in [literals_naming_platforms((REPO / path).read_text())]
        if lines
    }
    assert copies == {}, f"read touchline.platforms.PLATFORMS instead: {copies}"


def test_a_copy_is_caught() -> None:
    assert literals_naming_platforms('X = ("meta", "tiktok", "pinterest")\n') == [1]
    assert literals_naming_platforms('X = {"meta": 1, "tiktok": 2}\n') == []
