"""The image's recipe stays true: every path docker/Dockerfile copies exists,
every package the install needs is copied, and every module and ``touchline``
command it runs (or names as a role) is real. No Docker engine runs here, so this
reads the file the way ``docker build`` would."""

from __future__ import annotations

import importlib.util
import re
import shlex
import sys
from dataclasses import dataclass, field

import click
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10
    import tomli as tomllib

from cli.main import main as touchline_command
from tests.support.processes import REPO

DOCKERFILE = REPO / "docker" / "Dockerfile"


@dataclass
class Stage:
    name: str
    workdir: str = "/"
    copies: list[tuple[str | None, list[str], str]] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    commands: list[list[str]] = field(default_factory=list)


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    out, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line, pending = pending + line, ""
        word, _, rest = line.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def stages(text: str) -> list[Stage]:
    found: list[Stage] = []
    for word, rest in instructions(text):
        if word == "FROM":
            parts = rest.split()
            found.append(Stage(parts[2] if len(parts) > 2 else str(len(found))))
            continue
        stage = found[-1]
        if word == "WORKDIR":
            stage.workdir = rest
        elif word == "COPY":
            args = shlex.split(rest)
            source = next((a.split("=", 1)[1] for a in args if a.startswith("--from=")), None)
            paths = [a for a in args if not a.startswith("--")]
            stage.copies.append((source, paths[:-1], paths[-1]))
        elif word == "RUN":
            stage.runs.append(rest)
        elif word in ("ENTRYPOINT", "CMD"):
            stage.commands.append(_exec_form(rest))
    return found


def _exec_form(rest: str) -> list[str]:
    if rest.startswith("["):
        return [s.strip().strip('"') for s in rest.strip("[]").split(",")]
    return shlex.split(rest)


def role_commands(text: str) -> list[list[str]]:
    """The ``touchline ...`` commands the file names: in RUN lines and in comments."""
    commands = []
    for line in text.splitlines():
        for match in re.finditer(r"\btouchline((?: [a-z][a-z-]*)+)", line):
            commands.append(match.group(1).split())
    return commands


def resolves(words: list[str]) -> bool:
    """True when the words name a real subcommand of ``touchline`` (options aside)."""
    command: click.Command = touchline_command
    for word in words:
        if not isinstance(command, click.Group):
            return True  # arguments of a leaf command
        if word not in command.commands:
            return False
        command = command.commands[word]
    return not isinstance(command, click.Group) or not words


def modules_run(run: str) -> list[str]:
    names = re.findall(r"python3? -m ([A-Za-z_][\w.]*)", run)
    for code in re.findall(r'python3? -c "([^"]*)"', run):
        names += re.findall(r"(?:^|;)\s*(?:from|import) ([A-Za-z_][\w.]*)", code)
    return names


def problems(text: str) -> list[str]:
    """Everything in a Dockerfile that would break the build or the container."""
    found: list[str] = []
    all_stages = stages(text)
    by_name = {s.name: s for s in all_stages}
    final = all_stages[-1]
    copied_top = set()
    for stage in all_stages:
        for source, paths, _dest in stage.copies:
            if source is None:
                for path in paths:
                    if not (REPO / path).exists():
                        found.append(f"COPY {path}: no such path in the repository")
                    if stage is final:
                        copied_top.add(path.split("/")[0])
            elif source not in by_name:
                found.append(f"COPY --from={source}: no such stage")
            else:
                built = by_name[source]
                if not any(p.startswith(built.workdir) for p in paths):
                    found.append(f"COPY --from={source} {paths}: outside {built.workdir}")
                if not built.runs:
                    found.append(f"COPY --from={source}: that stage builds nothing")
    project = tomllib.loads((REPO / "pyproject.toml").read_text())
    for pattern in project["tool"]["setuptools"]["packages"]["find"]["include"]:
        package = pattern.rstrip("*")
        if package not in copied_top:
            found.append(f"package {package}/ is installed by pyproject.toml but not copied")
    for run in final.runs:
        for name in modules_run(run):
            top = name.split(".")[0]
            if importlib.util.find_spec(top) is None or importlib.util.find_spec(name) is None:
                found.append(f"RUN runs module {name}, which does not exist")
    for words in role_commands(text):
        if not resolves(words):
            found.append(f"`touchline {' '.join(words)}` is not a touchline command")
    entry = final.commands
    if entry and entry[0][0] not in project["project"]["scripts"]:
        found.append(f"ENTRYPOINT {entry[0][0]} is not a script of the project")
    return found


def test_the_dockerfile_copies_real_paths_and_runs_real_modules() -> None:
    assert problems(DOCKERFILE.read_text()) == []


def test_the_dockerfile_builds_the_tag_and_prepares_dbt() -> None:
    final = stages(DOCKERFILE.read_text())[-1]
    copied = {path for _, paths, _ in final.copies for path in paths}
    assert {"tag/package.json", "tag/package-lock.json", "tag/build.mjs", "tag/src"} <= copied
    assert any("npm ci" in run and "npm run build" in run for run in final.runs), (
        "the collector serves /tag.js from tag/dist: the image must build the tag"
    )
    assert any("touchline prepare" in run for run in final.runs)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("FROM python:3.11-slim\nCOPY nowhere ./nowhere\n", "COPY nowhere"),
        (
            'FROM python:3.11-slim\nRUN python -c "from touchline.dbt_gone import x"\n',
            "touchline.dbt_gone",
        ),
        ("FROM python:3.11-slim\n# touchline colector serve\n", "touchline colector serve"),
        ("FROM python:3.11-slim\nCOPY --from=web /x ./x\n", "no such stage"),
    ],
)
def test_a_broken_dockerfile_is_caught(text: str, expected: str) -> None:
    assert any(expected in p for p in problems(text)), problems(text)
