#!/bin/sh
# Prints the path of a Python >= 3.12 for `make` to build .venv with, and on stderr one line
# saying which one; exits 2 with what to install when there is none.
#
# Looked for, in order: $PYTHON if set; python3, python3.14, python3.13 and python3.12 on PATH
# (a pyenv shim that fails without PYENV_VERSION does not count); then the interpreters pyenv
# has installed ($(pyenv root), $PYENV_ROOT, ~/.pyenv or any account's ~/.pyenv,
# /versions/3.*), newest first; then uv's managed ones.
# No environment variable is needed on a machine whose only new Python lives under pyenv.

ok() {  # $1 is a Python >= 3.12 that runs
    "$1" -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1
}

found() {
    version=$("$1" -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])')
    echo "make: using Python $version ($1)" >&2
    echo "$1"
    exit 0
}

if [ -n "${PYTHON:-}" ]; then
    ok "$PYTHON" && found "$(command -v "$PYTHON" || echo "$PYTHON")"
    echo "make: PYTHON=$PYTHON is not a working Python >= 3.12" >&2
    exit 2
fi

for name in python3 python3.14 python3.13 python3.12; do
    path=$(command -v "$name" 2>/dev/null) && ok "$path" && found "$path"
done

# pyenv: installed versions, newest first. Its folders, in this order of preference for equal
# versions: the one pyenv names when it is on PATH, $PYENV_ROOT, pyenv's default ~/.pyenv, and
# ~/.pyenv of every account in /etc/passwd ($FIND_PYTHON_PASSWD for tests): a shell without
# pyenv's set-up (CI, cron, a fresh terminal, another account, an unset HOME) still finds what
# pyenv installed on the machine.
roots="$(pyenv root 2>/dev/null) ${PYENV_ROOT:-} ${HOME:+$HOME/.pyenv}"
roots="$roots $(cut -d: -f6 "${FIND_PYTHON_PASSWD:-/etc/passwd}" 2>/dev/null | sed 's|$|/.pyenv|')"
candidates=$(rank=0; for root in $roots; do
    rank=$((rank + 1))
    for dir in "$root"/versions/3.*; do
        [ -d "$dir" ] && echo "${dir##*/} $rank $dir"
    done
done | sort -k1,1Vr -k2,2n | cut -d' ' -f3-)
for dir in $candidates; do
    ok "$dir/bin/python3" && found "$dir/bin/python3"
done

# uv-managed interpreters, when uv is installed.
if command -v uv >/dev/null 2>&1; then
    path=$(uv python find '>=3.12' 2>/dev/null) && ok "$path" && found "$path"
fi

echo "make: bayeshcc needs Python >= 3.12 and none was found (on PATH, under pyenv or uv)." \
     "Install one (e.g. 'pyenv install 3.12' or your system's python3.12 package)," \
     "or name it: make reproduce PYTHON=/path/to/python3.12" >&2
exit 2
