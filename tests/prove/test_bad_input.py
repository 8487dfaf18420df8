"""Bad input never crashes, hangs or executes: ``st-run validate``/``run``/``watch`` as processes.

Inputs: the broken-playbook corpus of the playbook suite (read in place), this suite's own
corpus (anchor bombs, Python tags, NUL bytes, ...), seeded random bytes, a 10 MB file, deep
nesting, template injection, FIFOs and device files, and symlinks out of a watched folder.
Each must give a located ``FILE:LINE:COL: message`` line and exit code 2, no traceback, and
end within a timeout. Injection payloads try to create a marker file: it must never appear.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.prove.support import (
    BROKEN,
    CORPUS,
    EXAMPLES,
    REPO,
    ST_RUN,
    assert_clean_failure,
    isolated_env,
    located,
    st_run,
)

HEADER = "name: {name}\nship: {{role: COMMAND}}\n"


def expected_first_locations() -> dict[str, str]:
    """``FILE`` -> ``LINE:COL: message`` of its first problem, from the playbook suite."""
    first: dict[str, str] = {}
    for line in (BROKEN / "expected.txt").read_text().splitlines():
        if line.strip():
            name, rest = line.split(":", 1)
            first.setdefault(name, rest)
    return first


def test_every_corpus_file_gets_its_located_line_and_exit_2(tmp_path: Path) -> None:
    broken = sorted(BROKEN.glob("*.yaml"))
    ours = sorted(CORPUS.glob("*.yaml"))
    assert len(broken) >= 30 and len(ours) >= 10
    result = st_run(tmp_path, "validate", *map(str, broken + ours), timeout=120)
    assert_clean_failure(result)
    for path in broken + ours:
        lines = located(result.text, str(path))
        assert lines, f"no located error for {path.name}:\n{result.text[-3000:]}"
    # the CLI reports the same first location the loader's own tests pin down
    for path in broken:
        want = f"{path}:{expected_first_locations()[path.name]}"
        assert located(result.text, str(path))[0].removeprefix("error: ") == want
    total = len(broken) + len(ours)
    assert f"{total} of {total} playbooks invalid" in result.text


def test_seeded_random_bytes_are_refused_with_a_location(tmp_path: Path) -> None:
    rng = random.Random(8)
    files = []
    for i in range(25):
        path = tmp_path / f"random-{i}.yaml"
        path.write_bytes(rng.randbytes(rng.randint(1, 4096)))
        files.append(path)
    # random printable noise decodes as UTF-8: YAML or schema errors instead of encoding ones
    for i in range(10):
        path = tmp_path / f"noise-{i}.yaml"
        path.write_text("".join(rng.choice("ab:-[]{}&*!|>'\"#%@` \n\t") for _ in range(300)))
        files.append(path)
    result = st_run(tmp_path, "validate", *map(str, files))
    assert_clean_failure(result)
    for path in files:
        assert located(result.text, str(path)), f"{path.name}:\n{result.text[-2000:]}"


def deep_flow(depth: int) -> str:
    nested = "[" * depth + "]" * depth
    return HEADER.format(name="deep") + "vars: {x: " + nested + "}\nsteps: [dock]\n"


def deep_block(depth: int) -> str:
    nested = "".join(f"{'  ' * (i + 1)}k{i}:\n" for i in range(depth)) + "  " * (depth + 1) + "1\n"
    return HEADER.format(name="deep") + "vars:\n" + nested + "steps: [dock]\n"


def big_file() -> str:
    # a valid-looking playbook padded to 10 MB (a log file pasted by mistake)
    step = "  - log: " + "x" * 100 + "\n"
    return HEADER.format(name="big") + "steps:\n" + step * (10 * 1024 * 1024 // len(step) + 1)


@pytest.mark.parametrize("make", [
    pytest.param(lambda: deep_flow(100_000), id="flow-nesting-100k"),
    pytest.param(lambda: deep_flow(900), id="flow-nesting-900"),
    pytest.param(lambda: deep_block(700), id="block-nesting-700"),
    pytest.param(big_file, id="10MB"),
])
def test_generated_monsters_are_refused_with_a_location(tmp_path: Path, make) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "monster.yaml"
    path.write_text(make())
    result = st_run(tmp_path, "validate", str(path), timeout=60)
    assert_clean_failure(result)
    assert located(result.text, str(path)), result.text[-2000:]


# --- template injection -------------------------------------------------------------------

def payloads(marker: Path) -> dict[str, str]:
    """Template texts that would create ``marker`` (or leak internals) if they ran."""
    cmd = f"touch {marker}"
    return {
        "str-mro": "''.__class__.__mro__[1].__subclasses__()",
        "cycler-globals": f"cycler.__init__.__globals__.os.popen('{cmd}').read()",
        "joiner-globals": f"joiner.__init__.__globals__.os.system('{cmd}')",
        "lipsum-globals": f"lipsum.__globals__['os'].system('{cmd}')",
        "namespace-init": f"namespace.__init__.__globals__.os.system('{cmd}')",
        "range-class": "range.__class__.__base__.__subclasses__()",
        "self-context": "self._TemplateReference__context",
        "config-items": "config.items()",
        "request-environ": "request.environ",
        "ship-dunder": f"ship.__class__.__init__.__globals__['os'].system('{cmd}')",
        "vars-dunder": "vars.__class__.__mro__",
        "format-attr": "'{0.__class__.__init__.__globals__}'.format(ship)",
        "attr-filter": "ship|attr('__class__')",
    }


REFUSED_BY_NAME = ("self-context", "config-items", "request-environ")
"""Payloads validate already refuses (they read names a playbook does not have)."""


def injection_playbook(name: str, expr: str, *, ignore_errors: bool) -> str:
    ignore = "\n    ignore_errors: true" if ignore_errors else ""
    return (HEADER.format(name=name) + "steps:\n"
            + f"  - log: \"text {{{{ {expr} }}}}\"{ignore}\n"
            + f"  - log: \"{{{{ {expr} }}}}\"{ignore}\n"
            + f"  - log: done\n    when: \"{expr}\"{ignore}\n")


def write_injections(folder: Path, marker: Path) -> list[Path]:
    folder.mkdir()
    files = []
    for name, expr in payloads(marker).items():
        path = folder / f"{name}.yaml"
        path.write_text(injection_playbook(name, expr.replace('"', "'"), ignore_errors=False))
        files.append(path)
    return files


def test_the_payloads_would_run_a_command_outside_the_sandbox(tmp_path: Path) -> None:
    """The control experiment: plain Jinja runs the payload, so the marker check can fail."""
    from jinja2 import Environment

    marker = tmp_path / "PWNED"
    Environment().from_string(f"{{{{ {payloads(marker)['cycler-globals']} }}}}").render()
    assert marker.exists()


def test_the_sandbox_refuses_every_payload_at_run_time(tmp_path: Path) -> None:
    """Behind validate, the run-time renderer (the executor's path) refuses each payload too."""
    from runner.playbook.errors import StepError
    from runner.playbook.template import evaluate, render, template_names

    marker = tmp_path / "PWNED"
    names = template_names(None, None, {"good": "IRON_ORE"}, {}, None)
    for expr in payloads(marker).values():
        with pytest.raises(StepError):
            render(f"text {{{{ {expr} }}}}", names)
        with pytest.raises(StepError):
            render(f"{{{{ {expr} }}}}", names)
        with pytest.raises(StepError):
            evaluate(expr, names)
    assert not marker.exists(), "an injected template ran a shell command"


@pytest.mark.slow
def test_run_refuses_injections_before_anything_runs(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    files = write_injections(tmp_path / "inj", marker)
    result = st_run(tmp_path, "run", "--sim", *map(str, files), timeout=120)
    assert_clean_failure(result)
    assert located(result.text, str(files[0])), result.text
    assert "COMPLETED" not in result.text and "FAILED" not in result.text
    assert not marker.exists()


def test_validate_refuses_injections_that_name_unknown_things(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    files = write_injections(tmp_path / "inj", marker)
    unknown = [p for p in files if p.stem in REFUSED_BY_NAME]
    result = st_run(tmp_path, "validate", *map(str, unknown))
    assert_clean_failure(result)
    for path in unknown:
        assert located(result.text, str(path)), result.text
    assert not marker.exists()


def test_validate_refuses_every_injection_with_exit_2(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    files = write_injections(tmp_path / "inj", marker)
    result = st_run(tmp_path, "validate", *map(str, files))
    assert not marker.exists()
    assert_clean_failure(result)
    for path in files:
        assert located(result.text, str(path)), f"{path.name} validated:\n{result.text}"


# --- run refuses bad input before it starts anything ------------------------------------------

@pytest.mark.slow
def test_run_refuses_bad_playbooks_with_exit_2_before_starting(tmp_path: Path) -> None:
    marker = tmp_path / "PWNED"
    apply = tmp_path / "apply.yaml"
    apply.write_text((CORPUS / "python-apply.yaml").read_text().replace("{MARKER}", str(marker)))
    for bad in (BROKEN / "keyword-typo.yaml", CORPUS / "anchor-bomb-wide.yaml", apply):
        result = st_run(tmp_path, "run", "--sim", str(bad), str(EXAMPLES / "route.yaml"),
                        timeout=120)
        assert_clean_failure(result)
        assert located(result.text, str(bad)), result.text
        assert "COMPLETED" not in result.text  # nothing ran, not even the valid playbook
    assert not marker.exists()
    result = st_run(tmp_path, "run", "--sim", str(tmp_path / "missing.yaml"))
    assert_clean_failure(result)


# --- special files ----------------------------------------------------------------------------

def test_directories_dangling_links_and_missing_files_are_refused(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    (tmp_path / "dangling.yaml").symlink_to(tmp_path / "nowhere.yaml")
    for path in (tmp_path / "dangling.yaml", tmp_path / "missing.yaml"):
        result = st_run(tmp_path, "validate", str(path))
        assert_clean_failure(result)
        assert str(path) in result.text
    result = st_run(tmp_path, "validate", str(tmp_path / "dir.yaml"))
    assert_clean_failure(result)


# regression: validate once read a FIFO or /dev/zero whole and hung (fixed in a9d7013)
@pytest.mark.parametrize("kind", ["fifo", "dev-zero"])
def test_validate_does_not_hang_on_special_files(tmp_path: Path, kind: str) -> None:
    path = tmp_path / f"{kind}.yaml"
    if kind == "fifo":
        os.mkfifo(path)
    else:
        path.symlink_to("/dev/zero")
    result = st_run(tmp_path, "validate", str(path), timeout=5)
    assert_clean_failure(result)
    assert str(path) in result.text


# --- the watcher: links out of the folder, special files ------------------------------------

def start_watcher(home: Path, folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([*ST_RUN, "watch", "--sim", "--sim-speed", "200", "--grace", "5",
                             str(folder)], cwd=REPO, env=isolated_env(home),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def watch_until(process: subprocess.Popen[str], needle: str, timeout: float) -> str:
    """Read the watcher's output until ``needle`` appears (or the timeout); SIGTERM it."""
    lines: list[str] = []
    stream = process.stdout
    assert stream is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(stream.readline, "")),
                              daemon=True)
    reader.start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not any(needle in line for line in lines):
        if process.poll() is not None:
            break
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=8)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        lines.append("[watcher ignored SIGTERM; killed]\n")
    reader.join(timeout=5)
    return "".join(lines)


def inside_playbook(name: str) -> str:
    return HEADER.format(name=name) + "steps:\n  - log: hello from " + name + "\n"


@pytest.mark.slow
def test_watcher_ignores_links_out_of_its_folder_and_runs_the_rest(tmp_path: Path) -> None:
    folder, outside = tmp_path / "fleet", tmp_path / "outside"
    folder.mkdir()
    outside.mkdir()
    (outside / "evil.yaml").write_text(inside_playbook("evil"))
    (folder / "evil.yaml").symlink_to(outside / "evil.yaml")
    (folder / "passwd.yaml").symlink_to("/etc/passwd")
    (folder / "zero.yaml").symlink_to("/dev/zero")
    (folder / "up").symlink_to(outside)  # a folder link out
    (folder / "good.yaml").write_text(inside_playbook("good"))
    out = watch_until(start_watcher(tmp_path, folder), "started good", timeout=60)
    assert "started good" in out, out
    assert "evil" not in out.replace("evil.yaml: ignored", ""), out
    for name in ("evil.yaml", "passwd.yaml", "zero.yaml"):
        assert f"{name}: ignored, it points outside" in out, out
    assert "Traceback" not in out


@pytest.mark.slow
# regression: the watcher once blocked forever reading a FIFO (fixed in ae3a7fe)
def test_watcher_is_not_blocked_by_a_fifo(tmp_path: Path) -> None:
    folder = tmp_path / "fleet"
    folder.mkdir()
    os.mkfifo(folder / "pipe.yaml")
    (folder / "good.yaml").write_text(inside_playbook("good"))
    out = watch_until(start_watcher(tmp_path, folder), "started good", timeout=10)
    assert "started good" in out, out
    assert "killed" not in out
