"""The first-hour replay from a clean clone (see first_hour.py): every check passes."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import REPO
from tests.first_hour.first_hour import main


@pytest.mark.slow
def test_a_shop_owners_first_hour_from_a_clean_clone(tmp_path, capsys):
    if not shutil.which("git") or not (REPO / ".git").exists():
        pytest.skip("needs git and a git checkout to clone")
    code = main(["--repo", str(REPO), "--work", str(tmp_path)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Ctrl+C" in out and "curl" in out and "Python example" in out
