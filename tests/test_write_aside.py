"""The HTML pages (`gsm report`, `gsm outlook`) are written aside and renamed over: a write that
fails half-way (a full disk) leaves the previous page whole and no partial file behind."""

from __future__ import annotations

import errno
from pathlib import Path

import pytest

from gsm_platform import paths
from gsm_platform.paths import write_text_aside


def test_a_page_is_replaced_whole(tmp_path: Path):
    target = tmp_path / "index.html"
    target.write_text("old page", encoding="utf-8")
    write_text_aside(target, "new page")
    assert target.read_text(encoding="utf-8") == "new page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["index.html"]


def test_a_full_disk_half_way_keeps_the_old_page(tmp_path: Path, monkeypatch):
    target = tmp_path / "outlook.html"
    target.write_text("old page", encoding="utf-8")
    real_write = Path.write_text

    def half_then_enospc(self: Path, text: str, *args, **kwargs):
        real_write(self, text[: len(text) // 2], *args, **kwargs)
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(paths.Path, "write_text", half_then_enospc)
    with pytest.raises(OSError, match="No space left"):
        write_text_aside(target, "a new page that will not fit")
    monkeypatch.undo()
    assert target.read_text(encoding="utf-8") == "old page"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["outlook.html"]
