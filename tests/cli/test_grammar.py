"""The CLI grammar: every model-taking command takes MODEL as an optional first argument (default: the packaged
model), renamed options keep their old spelling for one release with one warning line on stderr, and `--json`
gives scripts one JSON document on stdout.

The library function behind each command is replaced by a recorder, so these tests check what the command line
hands on (which model, which option values), not the work itself (tests/<stage>/ cover that)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

from gestura.cli import app
from gestura.cli.options import EMBEDDED_MODEL

runner = CliRunner()


class Called(Exception):
    """Raised by a recorder so a command stops right after handing its arguments on."""


def _record(monkeypatch: pytest.MonkeyPatch, target: str, result: Any = None) -> list[dict[str, Any]]:
    """Replace `module.attr` with a recorder; returns the list its calls go to (args under '_args')."""
    module, attr = target.rsplit(".", 1)
    calls: list[dict[str, Any]] = []

    def fake(*args: Any, **kwargs: Any) -> Any:
        calls.append({"_args": args, **kwargs})
        if result is Called:
            raise Called
        return result

    monkeypatch.setattr(f"{module}.{attr}", fake)
    return calls


@pytest.fixture()
def model_dir(tmp_path: Path) -> Path:
    d = tmp_path / "my model"
    d.mkdir()
    (d / "model.json").write_text("{}")
    return d


# command, extra arguments, the library function it calls, how to read the model it was given
STREAMS_SUMMARY = {"overall": {}, "per_person": {}, "streams": [], "timeline_png": "t.png"}
MODEL_COMMANDS: list[tuple[str, list[str], str, Any, Any]] = [
    ("export", ["--out", "{tmp}/x"], "gestura.serving.export.export_onnx", Called, lambda c: c["_args"][0]),
    ("serve", ["--threads", "0"], "gestura.serving.launch.serve", None, lambda c: c["_args"][0]),
    ("evaluate", ["--data", "{tmp}", "--out", "{tmp}/e"], "gestura.evaluation.evaluate.evaluate_artifact", Called,
     lambda c: c["_args"][0]),
    ("evaluate-stream", ["--data", "{tmp}", "--out", "{tmp}/e"], "gestura.evaluation.streams.evaluate_streams",
     Called, lambda c: c["_args"][0]),
    ("signers", ["--data", "{tmp}", "--out", "{tmp}/s.png"], "gestura.artifact.ModelBundle.load", Called,
     lambda c: c["_args"][0]),
    ("demo", [], "gestura.demo.run_demo", None, lambda c: c["artifact"]),
    ("live", ["--source", "x.npz"], "gestura.runtime.live.run_live", Called, lambda c: c["_args"][1]),
    ("present", ["--source", "x.npz", "--headless-check"], "gestura.runtime.present.run_present", 0,
     lambda c: c["_args"][2]),
    ("enroll", ["--source", "{tmp}", "--out", "{tmp}/me"], "gestura.training.enroll.enroll", Called,
     lambda c: c["_args"][0]),
]
EMBEDDED_AS = {"demo": None, "live": None, "present": "default"}
"""What the library receives for the packaged model where it is not the folder path (it resolves it itself)."""


def _args(extra: list[str], tmp: Path) -> list[str]:
    return [a.replace("{tmp}", str(tmp)) for a in extra]


@pytest.mark.parametrize("cmd, extra, target, result, model_of", MODEL_COMMANDS, ids=[c[0] for c in MODEL_COMMANDS])
def test_every_model_command_takes_an_optional_positional_model(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_dir: Path,
        cmd: str, extra: list[str], target: str, result: Any, model_of: Any) -> None:
    calls = _record(monkeypatch, target, result)
    runner.invoke(app, [cmd, *_args(extra, tmp_path)])
    assert len(calls) == 1, cmd
    expected = EMBEDDED_AS.get(cmd, EMBEDDED_MODEL)
    got = model_of(calls[0])
    assert (got == expected) if expected is None or isinstance(expected, str) else Path(got) == expected
    res = runner.invoke(app, [cmd, str(model_dir), *_args(extra, tmp_path)])
    assert len(calls) == 2, res.output
    assert Path(model_of(calls[1])) == model_dir
    assert "deprecated" not in res.stderr


@pytest.mark.parametrize("cmd, extra, target, result, model_of",
                         [c for c in MODEL_COMMANDS if c[0] in ("demo", "live", "enroll")],
                         ids=["demo", "live", "enroll"])
def test_artifact_option_still_works_and_warns(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, model_dir: Path,
                                               cmd: str, extra: list[str], target: str, result: Any,
                                               model_of: Any) -> None:
    calls = _record(monkeypatch, target, result)
    res = runner.invoke(app, [cmd, *_args(extra, tmp_path), "--artifact", str(model_dir)])
    assert len(calls) == 1, res.output
    assert Path(model_of(calls[0])) == model_dir
    warnings = [line for line in res.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and "--artifact PATH is deprecated" in warnings[0] and "MODEL" in warnings[0]


def test_model_given_twice_differently_is_one_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                    model_dir: Path) -> None:
    calls = _record(monkeypatch, "gestura.runtime.live.run_live", Called)
    res = runner.invoke(app, ["live", str(tmp_path / "other"), "--artifact", str(model_dir)])
    assert res.exit_code == 2 and not calls and "give the model once" in res.stderr


def test_explain_takes_model_then_sample_or_just_the_sample(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                            model_dir: Path) -> None:
    calls = _record(monkeypatch, "gestura.artifact.ModelBundle.load", Called)
    runner.invoke(app, ["explain", "clip.npz", "--out", str(tmp_path)])
    runner.invoke(app, ["explain", str(model_dir), "clip.npz", "--out", str(tmp_path)])
    assert [Path(c["_args"][0]) for c in calls] == [EMBEDDED_MODEL, model_dir]
    res = runner.invoke(app, ["explain", "a", "b", "c", "--out", str(tmp_path)])
    assert res.exit_code == 2 and "[MODEL] SAMPLE" in res.stderr


def test_a_profile_name_is_a_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("GESTURA_HOME", str(tmp_path / "home"))
    me = tmp_path / "home" / "profiles" / "me"
    me.mkdir(parents=True)
    (me / "model.json").write_text("{}")
    calls = _record(monkeypatch, "gestura.serving.export.export_onnx", Called)
    runner.invoke(app, ["export", "me", "--out", str(tmp_path / "x")])
    assert Path(calls[0]["_args"][0]) == me


def test_present_profile_option_warns(monkeypatch: pytest.MonkeyPatch, model_dir: Path) -> None:
    calls = _record(monkeypatch, "gestura.runtime.present.run_present", 0)
    res = runner.invoke(app, ["present", "--profile", str(model_dir), "--source", "x.npz", "--headless-check"])
    assert res.exit_code == 0, res.output
    assert calls[0]["_args"][2] == str(model_dir) and "--profile NAME is deprecated" in res.stderr


# ---------------------------------------------------------------------------------------------- renamed options
def _extract_report() -> SimpleNamespace:
    return SimpleNamespace(out=Path("o"), extracted=[], skipped=[SimpleNamespace(hand_present_rate=1.0, n_frames=1)],
                           errors=[], n_frames=1, frames_per_second=1.0, labels={})


@pytest.mark.parametrize("args, key, value, warned", [
    (["--executor", "ray"], "engine", "ray", None),
    (["--engine", "ray"], "engine", "ray", "--engine local|ray is deprecated"),
    (["--landmarks", "cnn"], "backend", "cnn", None),
    (["--backend", "cnn"], "backend", "cnn", "--backend mediapipe|cnn is deprecated"),
])
def test_extract_executor_and_landmarks(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str], key: str,
                                        value: str, warned: str | None) -> None:
    calls = _record(monkeypatch, "gestura.data.ingest.extract", _extract_report())
    res = runner.invoke(app, ["extract", str(tmp_path), "--out", str(tmp_path / "o"), *args])
    assert res.exit_code == 0, res.output
    assert calls[0][key] == value
    assert ("deprecated" in res.stderr) == (warned is not None)
    if warned:
        assert warned in res.stderr and f"use --{'executor' if key == 'engine' else 'landmarks'}" in res.stderr


def test_extract_engine_means_no_model_engine(tmp_path: Path) -> None:
    """`--engine` names the model engine (torch|onnx) everywhere; in extract its old meaning is refused clearly."""
    res = runner.invoke(app, ["extract", str(tmp_path), "--out", str(tmp_path / "o"), "--engine", "onnx"])
    assert res.exit_code == 2 and "--executor must be local|ray, got 'onnx'" in res.stderr


def test_old_and_new_name_together_must_agree(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    calls = _record(monkeypatch, "gestura.data.ingest.extract", _extract_report())
    res = runner.invoke(app, ["extract", str(tmp_path), "--out", str(tmp_path / "o"), "--executor", "ray",
                              "--engine", "local"])
    assert res.exit_code == 2 and not calls and "give one of them" in res.stderr


@pytest.mark.parametrize("args, sink, warned", [
    (["--sink", "web"], "web", False),
    (["--backend", "keyboard"], "keyboard", True),
    ([], "log", False),
])
def test_live_sink(monkeypatch: pytest.MonkeyPatch, args: list[str], sink: str, warned: bool) -> None:
    calls = _record(monkeypatch, "gestura.runtime.live.run_live", {"frames": 0, "commands": 0, "seconds": 0.0})
    res = runner.invoke(app, ["live", "--source", "x.npz", *args])
    assert res.exit_code == 0, res.output
    assert calls[0]["_args"][2] == sink and ("--backend is deprecated" in res.stderr) == warned


def test_live_rejects_a_bad_engine_before_loading(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _record(monkeypatch, "gestura.runtime.live.run_live", Called)
    res = runner.invoke(app, ["live", "--source", "x.npz", "--engine", "tensorrt"])
    assert res.exit_code == 2 and not calls and "--engine must be torch|onnx" in res.stderr


@pytest.mark.parametrize("flag", ["--takes", "-k"])
def test_enroll_takes(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, flag: str) -> None:
    calls = _record(monkeypatch, "gestura.training.enroll.enroll", Called)
    res = runner.invoke(app, ["enroll", "--source", str(tmp_path), "--out", str(tmp_path / "me"), flag, "7"])
    assert calls and calls[0]["k"] == 7 and "deprecated" not in res.stderr


@pytest.mark.parametrize("args, hold_out, warned", [
    (["--hold-out", "person", "--test-subject", "a"], "person", False),
    (["--split", "person", "--test-subject", "a"], "person", True),
    ([], "session", False),
])
def test_train_variations_hold_out(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, args: list[str],
                                   hold_out: str, warned: bool) -> None:
    calls = _record(monkeypatch, "gestura.training.variations.run_variations", Called)
    res = runner.invoke(app, ["train-variations", "--data", str(tmp_path), "--out", str(tmp_path / "v"), *args])
    assert calls[0]["split"] == hold_out
    assert ("--split session|person is deprecated" in res.stderr) == warned


def test_landmarks_evaluate_report_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    report = {"groups": ["c"], "overall": {"err_box": 0.5}}
    _record(monkeypatch, "gestura.landmarks.cnn.evaluate.evaluate_landmark_model", report)
    for flag, warned in (("--report", False), ("--json", True)):
        out = tmp_path / f"{flag[2:]}.json"
        res = runner.invoke(app, ["landmarks", "evaluate", str(tmp_path), str(tmp_path), flag, str(out)])
        assert res.exit_code == 0, res.output
        assert json.loads(out.read_text()) == report and ("--json FILE is deprecated" in res.stderr) == warned


@pytest.mark.parametrize("cmd, hidden", [
    (["live"], ["--artifact", "--backend"]),
    (["extract"], ["--engine", "--backend"]),
    (["present"], ["--profile"]),
    (["enroll"], ["--artifact"]),
    (["train-variations"], ["--split "]),
])
def test_old_spellings_are_hidden_from_help(cmd: list[str], hidden: list[str]) -> None:
    res = runner.invoke(app, [*cmd, "--help"], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    assert ("MODEL" in res.stdout) == (cmd[0] in ("live", "present", "enroll"))
    for name in hidden:
        assert name not in res.stdout, (cmd, name)


# ---------------------------------------------------------------------------------------------- --json and --split
def test_evaluate_json_is_one_document_on_stdout(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    rep = SimpleNamespace(accuracy=0.75, macro_f1=0.5, n=8, n_skipped=1)
    _record(monkeypatch, "gestura.evaluation.evaluate.evaluate_artifact", rep)
    res = runner.invoke(app, ["evaluate", "--data", str(tmp_path), "--out", str(tmp_path / "e"), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["accuracy"] == 0.75 and doc["n"] == 8 and doc["report"] == str(tmp_path / "e" / "report.json")
    assert "wrote" in res.stderr
    plain = runner.invoke(app, ["evaluate", "--data", str(tmp_path), "--out", str(tmp_path / "e")])
    assert plain.stdout.strip() == "accuracy 0.7500, macro-F1 0.5000, n=8, skipped 1"


def test_evaluate_stream_split_test_is_the_models_splits_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              model_dir: Path) -> None:
    calls = _record(monkeypatch, "gestura.evaluation.streams.evaluate_streams", Called)
    args = ["evaluate-stream", str(model_dir), "--data", str(tmp_path), "--out", str(tmp_path / "e"),
            "--split", "test"]
    res = runner.invoke(app, args)
    assert res.exit_code == 2 and not calls and "no splits.json beside it" in res.stderr
    (model_dir / "splits.json").write_text("{}")
    runner.invoke(app, args)
    assert calls[0]["_args"][2] == str(model_dir / "splits.json")


def test_enroll_needs_a_destination_and_profiles_list_and_remove(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                                                 ) -> None:
    """`enroll` says where the model goes (--name or --out) before doing anything; `profiles list/remove`."""
    import json as _json

    from typer.testing import CliRunner

    from gestura.cli import app as cli_app

    monkeypatch.setenv("GESTURA_HOME", str(tmp_path))
    runner = CliRunner()
    res = runner.invoke(cli_app, ["enroll", "--source", "rec.npz"])
    assert res.exit_code != 0 and "give --name NAME" in res.output
    res = runner.invoke(cli_app, ["enroll", "--source", "rec.npz", "--name", "../evil"])
    assert res.exit_code != 0 and "profile name" in res.output
    res = runner.invoke(cli_app, ["enroll", "--source", "rec.npz", "--name", "me", "--add-gesture", "wave"])
    assert res.exit_code != 0 and "NAME=COMMAND" in res.output
    assert "no profiles" in runner.invoke(cli_app, ["profiles", "list"]).output
    prof = tmp_path / "profiles" / "anna"
    prof.mkdir(parents=True)
    (prof / "model.json").write_text(_json.dumps({"labels": ["fist", "unknown"], "meta": {}}))
    listed = runner.invoke(cli_app, ["profiles", "list", "--json"])
    assert listed.exit_code == 0 and _json.loads(listed.stdout)[0]["gestures"] == ["fist"]
    assert runner.invoke(cli_app, ["profiles", "remove", "anna"]).exit_code == 0 and not prof.exists()
    gone = runner.invoke(cli_app, ["profiles", "remove", "anna"])
    assert gone.exit_code != 0 and "no profile 'anna'" in gone.output
