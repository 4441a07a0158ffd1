"""`tracker consent exports PERSON`: the earlier exports that included a person, to recall."""

from dataclasses import dataclass

import pytest
from sqlmodel import Session

from tests.conftest import TrackerRunner
from tests.reporting.recall_samples import RecallSample, decide, export, make_recall_sample
from tracker.config import Settings
from tracker.domain.disclosure import DisclosureLevel
from tracker.reporting.exports import ReportBundle


@dataclass(frozen=True)
class Exported:
    sample: RecallSample
    dossier: ReportBundle
    timeline: ReportBundle


@pytest.fixture
def exported(session: Session, settings: Settings) -> Exported:
    sample = make_recall_sample(session)
    decide(session, sample.victim_id, "legal_filing", "granted")
    dossier = export(session, sample, "dossier", DisclosureLevel.LEGAL)
    timeline = export(session, sample, "timeline", DisclosureLevel.PUBLIC)
    session.commit()
    settings.instance_path.mkdir(exist_ok=True)
    return Exported(sample, dossier, timeline)


def test_lists_each_export_with_its_files_and_hashes_newest_first(
    cli: TrackerRunner, exported: Exported
) -> None:
    result = cli.invoke("consent", "exports", exported.sample.victim_code)
    assert result.exit_code == 0, result.stderr
    output = result.stdout
    assert f"2 earlier export(s) included {exported.sample.victim_code}" in output
    for bundle in (exported.dossier, exported.timeline):
        for file in bundle.files:
            assert f"{file.name}  SHA-256 {file.sha256}" in output
    assert output.index(exported.timeline.main.name) < output.index(exported.dossier.main.name)
    assert "dossier at the legal level, case " in output
    assert "timeline at the public level, case " in output
    assert "by command line" in output and "does not record who" in output


def test_filters_by_level_and_takes_an_id(cli: TrackerRunner, exported: Exported) -> None:
    result = cli.invoke("consent", "exports", str(exported.sample.victim_id), "--level", "legal")
    assert result.exit_code == 0, result.stderr
    assert exported.dossier.main.name in result.stdout
    assert exported.timeline.main.name not in result.stdout
    none = cli.invoke("consent", "exports", exported.sample.victim_code, "--level", "internal")
    assert none.exit_code == 0
    assert none.stdout.strip() == f"No earlier export included {exported.sample.victim_code}."


def test_unknown_person_or_level_exits_1_with_a_clear_message(
    cli: TrackerRunner, exported: Exported
) -> None:
    unknown = cli.invoke("consent", "exports", "V-2099-999")
    assert unknown.exit_code == 1 and unknown.stdout == ""
    assert "no person with the pseudonym code or id V-2099-999" in unknown.stderr
    by_name = cli.invoke("consent", "exports", "Nigar Recallova")
    assert by_name.exit_code == 1 and "Nigar" not in by_name.stderr
    bad_level = cli.invoke("consent", "exports", exported.sample.victim_code, "--level", "x")
    assert bad_level.exit_code == 1 and "unknown disclosure level" in bad_level.stderr
    assert cli.invoke("consent", "exports").exit_code == 2
