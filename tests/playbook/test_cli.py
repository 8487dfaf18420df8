"""``st-run validate``, ``st-run plan`` and ``st-run schema`` end to end."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runner.cli.main import main

REPO = Path(__file__).resolve().parents[2]
BROKEN = REPO / "tests" / "playbook" / "broken"
CASE = REPO / "tests" / "compile" / "route-nearest-fuel"


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_examples_folder_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", str(REPO / "playbooks"))
    assert code == 0
    assert "playbooks/route.yaml: ok" in out
    count = len(list((REPO / "playbooks").rglob("*.yaml")))
    assert count >= 7 and f"{count} of {count} playbooks valid" in out


def test_validate_broken_exits_2_with_location_and_snippet(
        capsys: pytest.CaptureFixture[str]) -> None:
    path = BROKEN / "unknown-action.yaml"
    code, _, err = run(capsys, "validate", str(path))
    assert code == 2
    assert f"{path}:3:5: unknown action `navigte`; did you mean `navigate`?" in err
    assert "3 |   - navigte: X1-T-B1" in err
    assert "  |     ^^^^^^^^" in err


def test_validate_mixed_files_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "validate", str(REPO / "playbooks" / "route.yaml"),
                         str(BROKEN / "tab-indent.yaml"))
    assert code == 2
    assert "route.yaml: ok" in out
    assert "error: 1 of 2 playbooks invalid (1 problem)" in err


def test_validate_json_format(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "validate", "--format", "json", str(BROKEN / "units-zero.yaml"))
    assert code == 2
    data = json.loads(out)
    assert data["valid"] is False
    (problem,) = data["files"][0]["problems"]
    assert (problem["line"], problem["col"]) == (3, 32)


def test_validate_github_format(capsys: pytest.CaptureFixture[str]) -> None:
    path = BROKEN / "keyword-typo.yaml"
    code, out, _ = run(capsys, "validate", "--format", "github", str(path))
    assert code == 2
    assert out.strip() == (f"::error file={path},line=4,col=5::unknown key `nmae`; "
                           "did you mean `name`?")


def test_validate_every_broken_case_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "validate", str(BROKEN))
    assert code == 2
    cases = len(list(BROKEN.glob("*.yaml")))
    assert f"error: {cases} of {cases} playbooks invalid" in err


def test_validate_nothing_to_check_is_invalid_input(capsys: pytest.CaptureFixture[str],
                                                     tmp_path: Path) -> None:
    code, _, err = run(capsys, "validate", str(tmp_path))
    assert code == 2 and "no playbooks" in err


def test_validate_imports_no_simulator_ortools_or_sqlalchemy() -> None:
    probe = ("import sys\nfrom runner.cli.main import main\ncode = 0\n"
             "try:\n    main(['validate', 'playbooks'])\nexcept SystemExit as e:\n"
             "    code = e.code\n"
             "heavy = [m for m in ('ortools', 'sqlalchemy', 'runner.sim', 'runner.routing', "
             "'httpx', 'uvicorn') if m in sys.modules]\nprint('HEAVY', heavy, code)\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True,
                         text=True, check=True).stdout
    assert "HEAVY [] 0" in out


def test_plan_json_from_a_state_file(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--json", "--state", str(CASE / "state.json"),
                       str(CASE / "playbook.yaml"))
    assert code == 0
    data = json.loads(out)
    (leg,) = data["legs"]
    assert {k: leg[k] for k in ("from", "to", "mode", "distance", "fuel_used", "refuel_units",
                                 "duration_s")} == {
        "from": "X1-T-HQ", "to": "X1-T-EX", "mode": "BURN", "distance": 200.0,
        "fuel_used": 400, "refuel_units": 0, "duration_s": 84}
    assert "eta" in leg
    assert data["total_duration_s"] == 84.0
    assert data["requests"] == 6


def test_plan_text_shows_legs_and_totals(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--state", str(CASE / "state.json"),
                       str(CASE / "playbook.yaml"))
    assert code == 0
    assert "X1-T-HQ       X1-T-EX       BURN" in out
    assert "total: 1m24s, 200.0 distance, 400 fuel, 320 credits for fuel, 6 API requests" in out


def test_plan_meaning_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    case = REPO / "tests" / "compile" / "error-extract-without-laser"
    code, _, err = run(capsys, "plan", "--state", str(case / "state.json"),
                       str(case / "playbook.yaml"))
    assert code == 2
    assert "playbook.yaml:5:5: step 2 `extract`: T-1 has no mining laser" in err


def test_plan_with_overrides(capsys: pytest.CaptureFixture[str]) -> None:
    case = REPO / "tests" / "compile" / "buy-split-and-sell"
    code, out, _ = run(capsys, "plan", "--json", "-e", "good=FUEL", "--state",
                       str(case / "state.json"), str(case / "playbook.yaml"))
    assert code == 0
    assert json.loads(out)["steps"][0]["commands"][1] == {
        "type": "Purchase", "symbol": "FUEL", "units": 25}


def test_bad_override_is_invalid_input(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "validate", "-e", "nokey", str(REPO / "playbooks"))
    assert code == 2 and "KEY=VALUE" in err


def test_schema_prints_the_committed_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "schema")
    assert code == 0
    assert out == (REPO / "schemas" / "playbook.schema.json").read_text()


def test_plan_against_the_embedded_simulator(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "plan", "--sim", "--json", str(REPO / "playbooks" / "route.yaml"))
    assert code == 0, err
    data = json.loads(out)
    assert data["legs"] and data["requests"] >= 4
    assert all(leg["fuel_left"] >= 0 for leg in data["legs"])


def test_validate_with_state_also_checks_meaning(capsys: pytest.CaptureFixture[str]) -> None:
    case = REPO / "tests" / "compile" / "error-extract-without-laser"
    code, _, err = run(capsys, "validate", "--state", str(case / "state.json"),
                       str(case / "playbook.yaml"), str(CASE / "playbook.yaml"))
    assert code == 2
    assert f"{case / 'playbook.yaml'}:5:5: step 2 `extract`: T-1 has no mining laser" in err
    assert "error: 1 of 2 playbooks invalid (2 problems)" in err


def test_validate_with_state_reports_an_unknown_ship_at_the_ship_key(
        capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    book = tmp_path / "p.yaml"
    book.write_text("name: x\nship: {role: HAULER}\nsteps: [dock]\n")
    code, _, err = run(capsys, "validate", "--state", str(CASE / "state.json"), str(book))
    assert code == 2
    assert f"{book}:2:7: no ship matches role HAULER (roles: COMMAND)" in err


def test_every_example_plans_against_the_embedded_simulator(
        capsys: pytest.CaptureFixture[str]) -> None:
    examples = sorted(str(p) for p in (REPO / "playbooks").rglob("*.yaml"))
    code, out, err = run(capsys, "validate", "--sim", *examples)
    assert code == 0, err
    count = len(examples)
    assert count >= 9 and f"{count} of {count} playbooks valid" in out
