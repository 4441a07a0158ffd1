"""Every `tracker` command with hostile arguments: unknown ids, SQL and markup in them, paths
outside the exports folder or in missing folders, NUL bytes, nested and huge JSON, bombs.

Each must exit non-zero with a message on stderr, never a traceback or an "internal error",
and write nothing: no row (the database fingerprint) and no file anywhere under the test's
folder. `COMMANDS` must name every command; a new one without hostile arguments fails here.
"""

import json
import uuid
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from click.testing import CliRunner
from sqlalchemy import Engine, select
from sqlmodel import Session, col

from tests.evidence_samples import WINDOWS_PROGRAM, WITNESS_NOTE, decompression_bomb
from tests.hostile import payloads
from tests.hostile.fingerprint import fingerprint
from tests.hostile.tally import TALLY
from tests.hostile.world import make_world
from tracker.cli import build_cli
from tracker.config import Settings
from tracker.models import Case, Incident, Person

# Files a command may touch without writing anything: the database and its journals.
DATABASE_FILES = frozenset({"tracker.db", "tracker.db-wal", "tracker.db-shm", "tracker.db-journal"})
NUL = "\x00"
SQL = payloads.SQL[0]
# {name} fields: filled from the context made for each test.
COMMANDS: dict[str, list[tuple[str, ...]]] = {
    "init": [
        ("--admin-username", f"a{NUL}b"),
        ("--admin-username", "a\x1b[31mb"),
        ("--admin-username", ""),
        ("--admin-username", "two words"),
        ("--admin-username", "x" * 1000),
    ],
    "db upgrade": [("../../etc/passwd",), (f"head; {payloads.SQL[3]}",), (NUL,), ("zzz",)],
    "db downgrade": [("nonexistent",), ("../x",), (NUL,), (SQL,)],
    "db current": [("extra",)],
    "keys rotate": [("extra",), ("--to", "{inputs}/deep.json"), (NUL,)],
    "db encrypt": [("--keep-plaintext", "extra")],
    "demo": [("--synthetic", "0"), ("--synthetic", "-1"), ("--synthetic", "many"), ("--seed", "x")],
    "export json": [
        ("-o", "{missing}/x.json"),
        ("-o", "{inputs}"),
        ("-o", f"x{NUL}.json"),
        ("-o", ""),
    ],
    "export csv": [
        ("-o", "{missing}/x.csv"),
        ("-o", "{inputs}"),
        ("-o", f"x{NUL}.csv"),
        ("-o", ""),
    ],
    "import json": [
        ("{inputs}/deep.json",),
        ("{inputs}/huge-string.json",),
        ("{inputs}/invalid-utf8.json",),
        ("{inputs}/nul.json",),
        ("{inputs}/empty.json",),
        ("{inputs}/string.json",),
        ("{inputs}/program.json",),
        ("{missing}/x.json",),
        ("{inputs}",),
        (f"x{NUL}.json",),
    ],
    "import csv": [
        ("{inputs}/incidents.csv", "--mapping", "{inputs}/broken.toml"),
        ("{inputs}/incidents.csv", "--mapping", "{inputs}/nul.json"),
        ("{inputs}/nul.json", "--mapping", "{inputs}/mapping.toml"),
        ("{inputs}/invalid-utf8.json", "--mapping", "{inputs}/mapping.toml"),
        ("{inputs}/incidents.csv",),
    ],
    "check": [("extra",)],
    "audit verify": [
        ("--file", "{inputs}/deep.json"),
        ("--file", "{inputs}/invalid-utf8.json"),
        ("--file", "{inputs}/program.json"),
        ("--file", "{missing}/audit.jsonl"),
        ("--expect-head", "x"),
        ("--expect-head", f"1:{SQL}"),
        ("--expect-head", NUL),
        ("--expect-head", "99999999999999999999:" + "0" * 64),
    ],
    "audit export": [
        ("-o", "{missing}/a.jsonl"),
        ("-o", "{inputs}"),
        ("-o", f"a{NUL}.jsonl"),
        ("-o", ""),
    ],
    "search reindex": [("extra",)],
    "report timeline": [
        ("--case", SQL),
        ("--person", "%"),
        ("--place", "_"),
        ("--organisation", "*"),
        ("--type", payloads.SQL[4]),
        ("--from", "2023-02-30"),
        ("--to", "<script>"),
        ("--case", "{case}", "--level", "god"),
        ("--case", "{case}", "-o", "../../x.pdf"),
        ("--case", "{case}", "-o", "{outside}/x.pdf"),
        ("--case", "{case}", "-o", f"x{NUL}.pdf"),
        ("--case", NUL),
        ("--case", "{case}", "--person", "{person}"),
    ],
    "report dossier": [
        (SQL,),
        ("%",),
        ("{case}", "--level", "internal"),
        ("{case}", "--level", "god"),
        ("{case}", "-o", "../../x.pdf"),
        ("{case}", "-o", "{outside}/x.pdf"),
        ("{case}", "-o", "{exports}"),
        ("{case}", "-o", ""),
    ],
    "report annual": [
        ("--year", "99999"),
        ("--year", "-1"),
        ("--year", "x"),
        ("--year", "2023", "--lang", "../../etc"),
        ("--year", "2023", "--region", "%"),
        ("--year", "2023", "--type", payloads.SQL[4]),
        ("--year", "2023", "--level", "internal"),
        ("--year", "2023", "-o", "../../x.pdf"),
    ],
    "evidence add": [
        ("INC-999999", "{inputs}/note.txt"),
        (SQL, "{inputs}/note.txt"),
        ("{incident}", "{inputs}/zip-bomb.zip"),
        ("{incident}", "{inputs}/bomb.png"),
        ("{incident}", "{inputs}/program.exe"),
        ("{incident}", "{inputs}"),
        ("{incident}", "{missing}/x.txt"),
        ("{incident}", "{inputs}/note.txt", "--title", f"a{NUL}b"),
        ("{incident}", "{inputs}/note.txt", "--kind", "../x"),
    ],
    "evidence list": [(SQL,), ("%",), (NUL,), ("INC-999999",)],
    "evidence verify": [("extra",)],
    "evidence export": [
        ("not-a-uuid",),
        (str(uuid.UUID(int=7)),),
        ("{evidence}", "-o", "../../x.jpg"),
        ("{evidence}", "-o", "{outside}/x.jpg"),
        ("{evidence}", "--level", "god"),
        ("{evidence}", "-o", ""),
    ],
    "consent exports": [("%",), (SQL,), (NUL,), ("{person}", "--level", "god")],
    "users list": [("extra",)],
    "users reset-password": [
        (SQL,),
        ("%",),
        (NUL,),
        ("",),
        ("a\x1b[31mb",),
        ("x" * 1000,),
        (),
        ("admin", "extra"),
    ],
    "backup": [
        ("-o", "{database}"),
        ("-o", "{secret_key}"),
        ("-o", "{missing}/backup.bin"),
        ("-o", f"b{NUL}.bin"),
        ("-o", "{inputs}"),
    ],
    "restore": [
        ("{inputs}/program.exe",),
        ("{inputs}/empty.json",),
        ("{inputs}/deep.json",),
        ("{inputs}/note.txt", "--key-file", "{missing}/backup.key"),
    ],
    "serve": [("--port", "0"), ("--port", "70000"), ("--port", "x")],
}


def leaf_commands(group: click.Group, prefix: str = "") -> Iterator[str]:
    for name, command in sorted(group.commands.items()):
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            yield from leaf_commands(command, path + " ")
        else:
            yield path


def test_every_command_is_attacked(settings: Settings) -> None:
    commands = set(leaf_commands(build_cli(settings)))
    assert sorted(commands - COMMANDS.keys()) == [], "add hostile arguments for these"
    assert sorted(COMMANDS.keys() - commands) == []


@dataclass(frozen=True)
class Context:
    root: Path
    inputs: Path
    fields: dict[str, str]


def write_inputs(folder: Path) -> None:
    """The hostile files the commands are given."""
    folder.mkdir(parents=True)
    header = '{"format": "tracker-interchange", "format_version": 1, "x": '
    (folder / "deep.json").write_bytes(header.encode() + b"[" * 10_000 + b"]" * 10_000 + b"}")
    huge = {"format": "tracker-interchange", "format_version": 1, "x": "s" * 50_000_000}
    (folder / "huge-string.json").write_text(json.dumps(huge), encoding="utf-8")
    (folder / "invalid-utf8.json").write_bytes(b'{"format": "\xff\xfe\xc3\x28"}')
    (folder / "nul.json").write_bytes(b'{"format": "tracker-interchange\x00"}\x00\x00')
    (folder / "empty.json").write_bytes(b"")
    (folder / "string.json").write_bytes(b'"just a string"')
    (folder / "program.json").write_bytes(WINDOWS_PROGRAM)
    (folder / "program.exe").write_bytes(WINDOWS_PROGRAM)
    (folder / "note.txt").write_bytes(WITNESS_NOTE)
    (folder / "bomb.png").write_bytes(decompression_bomb(30_000, 30_000))
    with zipfile.ZipFile(folder / "zip-bomb.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("zeros.bin", b"\x00" * 50_000_000)
    (folder / "incidents.csv").write_text("title,date\nRaid,8 March 2023\n", encoding="utf-8")
    (folder / "broken.toml").write_text('[columns\ntitle = "', encoding="utf-8")
    (folder / "deep.toml").write_text("x = " + "[" * 5_000 + "]" * 5_000 + "\n", encoding="utf-8")
    (folder / "mapping.toml").write_text('[columns]\ntitle = "title"\n', encoding="utf-8")


@pytest.fixture(scope="session")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("hostile-inputs") / "inputs"
    write_inputs(folder)
    return folder


@pytest.fixture
def context(engine: Engine, settings: Settings, tmp_path: Path, inputs: Path) -> Context:
    world = make_world(engine, settings, uuid.UUID(int=1))
    with Session(engine) as session:
        incident = session.get(Incident, world.sample.incident_id)
        case = session.get(Case, world.sample.case_id)
        person = session.get(Person, world.sample.person_id)
        assert incident and case and person
        codes = (incident.code, case.code, person.pseudonym_code)
    # init writes the instance's secret key before it reads the admin's name; a refused name
    # leaves that key behind, harmlessly. Made here, so init has nothing else to write.
    settings.instance_path.mkdir(exist_ok=True)
    settings.secret_key_path.write_text("x" * 48, encoding="utf-8")
    settings.exports_path.mkdir(exist_ok=True)
    (tmp_path / "outside").mkdir()
    # A file a backup must never overwrite: the database itself, or on PostgreSQL a key.
    database = settings.sqlite_database_path or settings.secret_key_path
    fields = {
        "incident": codes[0],
        "case": codes[1],
        "person": codes[2],
        "evidence": str(world.stored_evidence_id),
        "inputs": str(inputs),
        "missing": str(tmp_path / "missing" / "folder"),
        "outside": str(tmp_path / "outside"),
        "exports": str(settings.exports_path),
        "database": str(database),
        "secret_key": str(settings.secret_key_path),
    }
    return Context(tmp_path, inputs, fields)


def files_of(*roots: Path) -> dict[str, int]:
    return {
        str(path): path.stat().st_size
        for root in roots
        for path in root.rglob("*")
        if path.is_file() and path.name not in DATABASE_FILES
    }


def filled(arguments: tuple[str, ...], context: Context) -> list[str]:
    return [argument.format(**context.fields) for argument in arguments]


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_hostile_arguments_are_refused_with_a_message_and_write_nothing(
    engine: Engine,
    settings: Settings,
    context: Context,
    command: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Relative paths start two folders down, so ../../x would land in the test's folder.
    working = context.root / "a" / "b"
    working.mkdir(parents=True)
    monkeypatch.chdir(working)
    cli = build_cli(settings)
    for arguments in COMMANDS[command]:
        args = [*command.split(), *filled(arguments, context)]
        before, files_before = fingerprint(engine), files_of(context.root, context.inputs)
        result = CliRunner().invoke(cli, args, input="\n\n")
        label = f"tracker {' '.join(args)[:120]!r} exited {result.exit_code}"
        output = result.output + result.stderr
        assert result.exit_code != 0, label + ": " + output
        assert not isinstance(result.exception, Exception) or isinstance(
            result.exception, SystemExit
        ), f"{label}: {result.exception!r}"
        assert "Traceback" not in output and "internal error" not in output, label + output
        assert result.stderr.strip(), label
        assert fingerprint(engine) == before, label
        assert files_of(context.root, context.inputs) == files_before, label
        options = tuple(argument for argument in arguments if argument.startswith("-"))
        TALLY.tried("command-line arguments", command=command, fields=options or ("argument",))


def test_the_cli_import_refuses_deep_and_huge_json_whole(
    engine: Engine, settings: Settings, context: Context
) -> None:
    """The interchange tests parse these in-process; here they go through `tracker import`."""
    cli = build_cli(settings)
    inputs = Path(context.fields["inputs"])
    expected = {
        "deep.json": "nested too deeply",
        "huge-string.json": "",  # refused by the schema: any clear one-line reason
        "invalid-utf8.json": "not valid UTF-8",
    }
    for name, reason in expected.items():
        result = CliRunner().invoke(cli, ["import", "json", str(inputs / name)])
        assert result.exit_code == 1, result.output
        assert result.stderr.startswith("Error: ") and reason in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_the_table_names_real_records(engine: Engine, context: Context) -> None:
    """The hostile arguments sit beside real ids, so refusals are about the hostile part."""
    with Session(engine) as session:
        codes = set(session.execute(select(col(Incident.code))).scalars())
    assert context.fields["incident"] in codes


def test_a_mapping_nested_too_deeply_is_refused_with_a_message(
    settings: Settings, context: Context
) -> None:
    inputs = Path(context.fields["inputs"])
    args = ["import", "csv", str(inputs / "incidents.csv"), "--mapping", str(inputs / "deep.toml")]
    result = CliRunner().invoke(build_cli(settings), args)
    assert result.exit_code == 1
    assert "nested too deeply" in result.stderr, result.stderr
