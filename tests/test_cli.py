"""The nasx11 console script: spaces listing, data check, and clear errors."""

from __future__ import annotations

import pytest

from nasx11_env.cli import main
from nasx11_env.spaces import SPACE_NAMES


def test_spaces_lists_every_space_with_size(capsys) -> None:
    assert main(["spaces"]) == 0
    out = capsys.readouterr().out
    for name in SPACE_NAMES:
        assert name in out
    assert "15,625" in out  # NB201
    assert "423,624" in out  # NB101


def test_data_check_reports_every_source(data_root, capsys) -> None:
    assert main(["data", "check", str(data_root)]) == 0
    out = capsys.readouterr().out
    assert "341 finished curves x 50 epochs, 4 excluded" in out
    assert "14935 curves x 100 epochs + 690 x 200 epochs" in out
    assert "Apache-2.0" in out and "MIT" in out


def test_data_check_without_data_fails_cleanly(tmp_path, capsys) -> None:
    assert main(["data", "check", str(tmp_path / "nowhere")]) == 1
    assert "no data folder" in capsys.readouterr().out


def test_data_check_reports_missing_files(tmp_path, capsys) -> None:
    assert main(["data", "check", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert out.count("not found") == 5


def test_unknown_command_exits_with_usage() -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["frobnicate"])
    assert exit_info.value.code == 2
