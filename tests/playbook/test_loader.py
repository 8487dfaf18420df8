"""YAML 1.2 semantics and the pitfalls PyYAML (YAML 1.1) leaves open."""

from __future__ import annotations

import math

import pytest

from runner.playbook import PlaybookError, load_playbook, load_playbook_text
from runner.playbook.loader import MAX_BYTES, LoadError, load_bytes, load_text, resolve_scalar


@pytest.mark.parametrize("text", ["no", "No", "NO", "yes", "on", "off", "y", "n", "Y", "OFF"])
def test_norway_problem_words_stay_strings(text: str) -> None:
    assert load_text(f"a: {text}").value == {"a": text}


@pytest.mark.parametrize(("text", "value"), [
    ("true", True), ("false", False), ("True", True), ("FALSE", False),
    ("null", None), ("~", None), ("", None), ("12", 12), ("-3", -3), ("0x1f", 31),
    ("0o17", 15), ("1.5", 1.5), ("1e3", 1000.0), (".inf", math.inf), ("-.inf", -math.inf),
    ("2024-01-01", "2024-01-01"), ("0b101", "0b101"), ("1_000", "1_000"), ("012", 12),
    ("X1-AB12-C3", "X1-AB12-C3"), ("30s", "30s"),
])
def test_plain_scalars_follow_the_yaml_1_2_core_schema(text: str, value: object) -> None:
    assert resolve_scalar(text) == value


def test_quoted_scalars_are_always_strings() -> None:
    assert load_text("a: 'no'\nb: \"3.10\"\nc: '12'\nd: |\n  true\n").value == \
        {"a": "no", "b": "3.10", "c": "12", "d": "true\n"}


def test_version_like_number_stays_as_written_where_text_is_expected() -> None:
    book = load_playbook_text("name: 3.10\nship: A\nsteps:\n  - log: 3.10\n  - log: 1.0\n")
    assert book.name == "3.10"
    assert book.steps[0].args["message"] == "3.10"
    assert book.steps[1].args["message"] == "1.0"


def test_numbers_stay_numbers_where_numbers_fit() -> None:
    book = load_playbook_text("ship: A\nvars: {n: 3.10}\nsteps:\n  - wait: 30\n"
                              "  - buy: {symbol: FUEL, units: 5}\n")
    assert book.vars["n"] == 3.1
    assert book.steps[0].args["duration"] == 30
    assert book.steps[1].args["units"] == 5


def test_ship_symbol_written_as_number_is_text() -> None:
    assert load_playbook_text("ship: 12\nsteps: [dock]\n").ship == "12"


def test_restart_no_is_the_policy_not_false() -> None:
    from runner.domain.restart import RestartMode

    # parsed at load time (issue 14): the YAML 1.2 string `no` is the policy, not false
    assert load_playbook_text("ship: A\nrestart: no\nsteps: [dock]\n").restart.mode is \
        RestartMode.NO


def test_duplicate_keys_are_errors_at_the_second_key() -> None:
    with pytest.raises(LoadError) as caught:
        load_text("a: 1\nb:\n  c: 1\n  c: 2\n")
    assert (caught.value.line, caught.value.col) == (4, 3)
    assert caught.value.message == "duplicate key `c` (first defined at line 3)"


def test_alias_expansion_is_bounded() -> None:
    text = "a: &a [" + ",".join(["x"] * 50) + "]\n"
    text += "b: &b [" + ",".join(["*a"] * 50) + "]\n"
    text += "c: [" + ",".join(["*b"] * 50) + "]\n"
    with pytest.raises(LoadError, match="more than 20000 values"):
        load_text(text)


def test_small_aliases_are_fine() -> None:
    assert load_text("a: &x {k: 1}\nb: *x\n").value == {"a": {"k": 1}, "b": {"k": 1}}


def test_recursive_alias_is_refused() -> None:
    with pytest.raises(LoadError, match="refers to its own anchor"):
        load_text("a: &a [1, *a]\n")


def test_files_over_one_mebibyte_are_refused_before_parsing() -> None:
    data = b"# " + b"x" * MAX_BYTES + b"\n"
    with pytest.raises(LoadError, match="limited to 1 MiB"):
        load_bytes(data)


def test_invalid_utf8_is_located() -> None:
    with pytest.raises(LoadError) as caught:
        load_bytes(b"ship: A\nname: caf\xe9\n")
    assert (caught.value.line, caught.value.col, caught.value.message) == \
        (2, 10, "file is not valid UTF-8")


def test_utf8_bom_is_accepted() -> None:
    assert load_bytes("\ufeffa: 1\n".encode()).value == {"a": 1}


def test_python_tags_never_construct_objects() -> None:
    with pytest.raises(LoadError, match="not supported"):
        load_text("a: !!python/object/apply:os.system ['echo hi']\n")


def test_deep_nesting_is_an_error_not_a_crash() -> None:
    with pytest.raises(LoadError):
        load_text("a: " + "[" * 5000 + "]" * 5000 + "\n")
    with pytest.raises(LoadError, match="nested deeper"):
        load_text("a: " + "[" * 100 + "]" * 100 + "\n")


def test_positions_are_recorded_for_values_and_keys() -> None:
    doc = load_text("ship: A\nsteps:\n  - navigate:\n      to: X1-T-B1\n")
    assert doc.where(("steps", 0, "navigate", "to")) == (4, 11)
    assert doc.where(("steps", 0, "navigate", "to"), key=True) == (4, 7)
    assert doc.where(("steps", 0, "missing")) == (3, 5)


def test_multiple_documents_are_refused() -> None:
    with pytest.raises(LoadError, match="single document"):
        load_text("a: 1\n---\nb: 2\n")


def test_missing_file_is_a_located_error() -> None:
    with pytest.raises(PlaybookError, match="cannot read"):
        load_playbook("/nonexistent/playbook.yaml")


def test_content_hash_is_sha256_of_the_bytes() -> None:
    import hashlib

    text = "ship: A\nsteps: [dock]\n"
    assert load_playbook_text(text).content_hash == hashlib.sha256(text.encode()).hexdigest()


def test_special_files_are_refused_without_reading_them(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import os

    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)
    zero = tmp_path / "zero.yaml"
    zero.symlink_to("/dev/zero")
    folder = tmp_path / "dir.yaml"
    folder.mkdir()
    for path, why in ((fifo, "not a regular file"), (zero, "not a regular file"),
                      (folder, "a folder")):
        with pytest.raises(PlaybookError) as caught:
            load_playbook(path)
        assert [str(p) for p in caught.value.problems] == [f"{path}:1:1: cannot read: {why}"]


def test_a_huge_file_is_refused_after_reading_only_the_limit(tmp_path) -> None:  # type: ignore[no-untyped-def]
    big = tmp_path / "big.yaml"
    big.write_bytes(b"ship: A\nsteps: [dock]\n" + b"# pad\n" * 400_000)
    with pytest.raises(PlaybookError, match="larger than 1 MiB"):
        load_playbook(big)


def test_a_mistyped_field_of_ship_agent_or_loop_is_located_with_a_suggestion() -> None:
    """Issue 15: the fields st-run provides are known before any game data exists."""
    text = ('ship: A\nsteps:\n  - log: "{{ ship.fuel.currnet }}"\n    when: agent.credit > 0\n'
            '  - repeat: {times: 2, steps: [{log: "{{ loop.parent.indx }}"}]}\n'
            '  - log: "{{ ship.cargo.inventory.IRON_ORE }} {{ ship.nav.waypoint.lower() }}"\n')
    with pytest.raises(PlaybookError) as caught:
        load_playbook_text(text)
    found = [(p.line, p.message) for p in caught.value.problems]
    assert found == [
        (3, "unknown field `currnet` in `ship.fuel.currnet`; did you mean `current`?"),
        (4, "unknown field `credit` in `agent.credit`; did you mean `credits`?"),
        (5, "unknown field `indx` in `loop.parent.indx`; did you mean `index`?"),
    ]  # open data (inventory) and a plain value's own methods are not checked
