"""scripts/find_python.sh: the interpreter `make reproduce` / `make test` build .venv with.

The machines this project runs on have Python 3.11 as `python3` and 3.12 / 3.13 only under
pyenv, whose `python3.12` shim fails unless PYENV_VERSION is set. The script must find the pyenv
interpreter with no variable set, say which one in one line, and name what to install when there
is none. Fake interpreters (shell scripts answering the version check) stand in for real ones.
"""

import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "find_python.sh"


def _fake_python(path: Path, version: tuple[int, int, int]) -> Path:
    """An executable that behaves like Python `version` for the script's two calls."""
    path.parent.mkdir(parents=True, exist_ok=True)
    new_enough = 0 if version >= (3, 12, 0) else 1
    path.write_text("#!/bin/sh\n"
                    'case "$2" in *print*) echo "%d.%d.%d";; *) exit %d;; esac\n'
                    % (*version, new_enough))
    path.chmod(0o755)
    return path


def _failing_shim(path: Path) -> Path:
    """What pyenv's python3.12 shim does without PYENV_VERSION: an error and status 127."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n")
    path.chmod(0o755)
    return path


def _fake_pyenv(bin_dir: Path, root: Path) -> None:
    bin_dir.mkdir(parents=True, exist_ok=True)
    pyenv = bin_dir / "pyenv"
    pyenv.write_text(f'#!/bin/sh\n[ "$1" = root ] && echo "{root}"\n')
    pyenv.chmod(0o755)


def _run(path_dirs, env_extra=None):
    # no account's ~/.pyenv but the ones a test puts in its own passwd file
    env = {"PATH": ":".join(str(d) for d in path_dirs) + ":/usr/bin:/bin", "HOME": "/nonexistent",
           "FIND_PYTHON_PASSWD": "/dev/null"}
    env.update(env_extra or {})
    return subprocess.run(["sh", str(SCRIPT)], capture_output=True, text=True, env=env)


@pytest.fixture
def machine(tmp_path):
    """python3 is 3.11; python3.12 is a failing pyenv shim; pyenv holds 3.9.18, 3.12.1, 3.13.0."""
    shims = tmp_path / "shims"
    _fake_python(shims / "python3", (3, 11, 7))
    _failing_shim(shims / "python3.12")
    root = tmp_path / "pyenv"
    for v in [(3, 9, 18), (3, 12, 1), (3, 13, 0)]:
        _fake_python(root / "versions" / ("%d.%d.%d" % v) / "bin" / "python3", v)
    _fake_pyenv(tmp_path / "pyenv-bin", root)
    return tmp_path, [shims, tmp_path / "pyenv-bin"]


def test_finds_the_newest_pyenv_python_with_no_variable_set(machine):
    tmp_path, path = machine
    result = _run(path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "pyenv/versions/3.13.0/bin/python3")
    assert result.stderr.strip() == (
        f"make: using Python 3.13.0 ({tmp_path}/pyenv/versions/3.13.0/bin/python3)")


def test_a_new_enough_python3_on_path_comes_first(machine, tmp_path):
    _, path = machine
    own = _fake_python(tmp_path / "own" / "python3", (3, 12, 4))
    result = _run([own.parent] + path)
    assert result.stdout.strip() == str(own)
    assert "Python 3.12.4" in result.stderr


def test_python_variable_overrides_the_search(machine, tmp_path):
    _, path = machine
    chosen = _fake_python(tmp_path / "chosen" / "python", (3, 12, 9))
    result = _run(path, {"PYTHON": str(chosen)})
    assert result.stdout.strip() == str(chosen)


def test_python_variable_naming_an_old_python_is_refused(machine):
    tmp_path, path = machine
    result = _run(path, {"PYTHON": str(tmp_path / "shims/python3")})
    assert result.returncode == 2
    assert "not a working Python >= 3.12" in result.stderr


def test_none_found_says_what_to_install(tmp_path):
    _fake_python(tmp_path / "bin" / "python3", (3, 11, 7))
    result = _run([tmp_path / "bin"])
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "pyenv install 3.12" in lines[0] and "PYTHON=" in lines[0]


def test_finds_pyenvs_pythons_when_pyenv_itself_is_not_on_path(tmp_path):
    """A shell without pyenv's set-up (CI, cron): ~/.pyenv/versions is pyenv's default folder."""
    _fake_python(tmp_path / "bin" / "python3", (3, 11, 7))
    home = tmp_path / "home"
    _fake_python(home / ".pyenv" / "versions" / "3.12.1" / "bin" / "python3", (3, 12, 1))
    result = _run([tmp_path / "bin"], {"HOME": str(home)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(home / ".pyenv/versions/3.12.1/bin/python3")


def test_finds_another_accounts_pyenv_when_home_is_not_its_owner(tmp_path):
    """pyenv installed by another account (here root's /root/.pyenv) while HOME points
    elsewhere or is unset: the account's home comes from the passwd file."""
    _fake_python(tmp_path / "bin" / "python3", (3, 11, 7))
    owner = tmp_path / "owner"
    _fake_python(owner / ".pyenv" / "versions" / "3.13.0" / "bin" / "python3", (3, 13, 0))
    passwd = tmp_path / "passwd"
    passwd.write_text(f"nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n"
                      f"owner:x:0:0:owner:{owner}:/bin/sh\n")
    result = _run([tmp_path / "bin"], {"FIND_PYTHON_PASSWD": str(passwd)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(owner / ".pyenv/versions/3.13.0/bin/python3")


def test_pyenv_root_names_pyenvs_folder_when_pyenv_is_not_on_path(tmp_path):
    _fake_python(tmp_path / "bin" / "python3", (3, 11, 7))
    root = tmp_path / "elsewhere"
    _fake_python(root / "versions" / "3.13.0" / "bin" / "python3", (3, 13, 0))
    result = _run([tmp_path / "bin"], {"PYENV_ROOT": str(root)})
    assert result.stdout.strip() == str(root / "versions/3.13.0/bin/python3")


def test_makefile_builds_the_venv_with_the_script():
    makefile = (SCRIPT.parents[1] / "Makefile").read_text()
    assert "scripts/find_python.sh" in makefile
    assert "PYENV_VERSION" not in (SCRIPT.parents[1] / ".ci" / "run").read_text()
