"""Bench records name the commit, and say when the code differed from it."""

from __future__ import annotations

import studio.provenance as report


def test_commit_is_marked_dirty_only_when_code_changed(monkeypatch):
    answers = {"rev-parse --short HEAD": "abc1234", "rev-parse --show-toplevel": "/repo"}
    monkeypatch.setattr(report, "_git", lambda *a: answers.get(" ".join(a), status))
    status = ""
    assert report.commit() == "abc1234"
    status = " M studio/synth/rig.py"
    assert report.commit() == "abc1234-dirty"


def test_commit_of_this_checkout_names_head():
    assert report.commit().split("-")[0] == report._git("rev-parse", "--short", "HEAD")
