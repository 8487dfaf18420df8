"""``validate`` and the ``ships:`` key: one of ``ship``/``ships``, a group selector parsed at
load time with located errors, and the ``ship.index``/``ship.count`` template names."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.test_status_cmd import run_cli


def check(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str) -> tuple[int, str]:
    path = tmp_path / "fleet.yaml"
    path.write_text(text)
    code, out, err = run_cli(capsys, "validate", str(path))
    assert "Traceback" not in out + err
    return code, err.replace(str(path), "F")


def test_a_group_with_its_templates_is_valid(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    code, err = check(tmp_path, capsys, """\
ships: {role: SATELLITE, count: 3}
vars: {belts: [A, B, C]}
steps:
  - log: "{{ belts[ship.index % 3] }} of {{ ship.count }}"
  - wait: 1s
    when: ship.index < ship.count
""")
    assert code == 0, err


@pytest.mark.parametrize(("text", "expected"), [
    ("ship: X\nships: {role: R}\nsteps: [dock]\n",
     "F:2:1: `ship` and `ships` exclude each other"),
    ("name: x\nsteps: [dock]\n",
     "F:1:1: missing required key `ship` (or `ships` for a group of ships)"),
    ("ships: {role: R, count: 0}\nsteps: [dock]\n", "F:1:25: `count` must be at least 1"),
    ("ships: {rol: R}\nsteps: [dock]\n", "F:1:9: unknown key `rol` in `ships`"),
    ("ships: {count: 2}\nsteps: [dock]\n", "F:1:8: `ships` needs `role` or `frame`"),
    ("ships: []\nsteps: [dock]\n", "F:1:8: "),
    ("name: a/b\nships: {role: R}\nsteps: [dock]\n",
     "F:1:7: a group's name may not contain `/`"),
    ("ships: {role: R}\nsteps:\n  - log: \"{{ ship.indx }}\"\n",
     "F:3:10: unknown field `indx` in `ship.indx`; did you mean `index`?"),
])
def test_group_mistakes_are_located(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    text: str, expected: str) -> None:
    code, err = check(tmp_path, capsys, text)
    assert code == 2
    assert expected in err, err
