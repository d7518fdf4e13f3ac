"""Commands that run a model on a person: `demo`, `live`, `present`, `enroll`, `record`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from gestura.errors import ConfigError

from gestura.cli.options import DEFAULT_MODEL, ENGINES, SINKS, ArtifactAlias, ModelArg, check_choice, console, \
    friendly_errors, is_default, model_arg, out, renamed, resolve_model

@friendly_errors
def demo(
    model: ModelArg = DEFAULT_MODEL,
    seed: Annotated[int, typer.Option(help="Seed of the generated session.")] = 0,
    video: Annotated[Optional[Path], typer.Option(help="Run a real video through MediaPipe instead.")] = None,
    stream: Annotated[Optional[Path], typer.Option(
        help="Play a recorded landmark stream (.npz, prompts from its groundtruth.txt) instead.")] = None,
    artifact: ArtifactAlias = None,
) -> None:
    """Run a model (the packaged default) on a generated gesture session (no webcam, no download)."""
    from gestura.demo import run_demo

    model = model_arg(model, artifact)
    run_demo(seed=seed, console=out, video=video, stream=stream,
             artifact=None if is_default(model) else resolve_model(model))


@friendly_errors
def live(
    model: ModelArg = DEFAULT_MODEL,
    source: Annotated[str, typer.Option(help="webcam, a camera index, a video file or a landmark .npz.")] = "webcam",
    sink: Annotated[str, typer.Option(help="Where commands go: keyboard | web (the presenter page) | log | ws (JSON on a WebSocket for apps).")] = "log",
    app_keys: Annotated[str, typer.Option("--app", help="Keyboard table: powerpoint|keynote|impress|browser.")
                        ] = "browser",
    slides: Annotated[Optional[Path], typer.Option(help="Web presenter slides: image folder or PDF.")] = None,
    decision: Annotated[Optional[Path], typer.Option(help="Decision settings YAML (thresholds, cooldown...).")
                        ] = None,
    command_map: Annotated[Optional[Path], typer.Option(help="class: command YAML map.")] = None,
    engine: Annotated[str, typer.Option(help="Model engine: torch | onnx.")] = "torch",
    every_k: Annotated[int, typer.Option(help="Run the model every k frames.")] = 1,
    show: Annotated[bool, typer.Option(help="OpenCV window with landmarks, class, confidence, FPS.")] = False,
    save_video: Annotated[Optional[Path], typer.Option(help="Write the overlay video here.")] = None,
    realtime: Annotated[bool, typer.Option(help="Pace file sources at their own frame times.")] = False,
    port: Annotated[int, typer.Option(help="Web presenter port.")] = 8765,
    landmarks: Annotated[str, typer.Option(help="Landmark backend for frames: mediapipe, or cnn (our landmark "
                                           "CNN; needs --landmark-model).")] = "mediapipe",
    landmark_model: Annotated[Optional[Path], typer.Option("--landmark-model", help="Landmark CNN model folder "
                                                           "(--landmarks cnn).")] = None,
    artifact: ArtifactAlias = None,
    backend: Annotated[Optional[str], typer.Option("--backend", hidden=True, help="Deprecated: --sink.")] = None,
) -> None:
    """Recognise gestures from a camera, video or landmark file and send commands to a sink."""
    from gestura.runtime.live import run_live

    model = model_arg(model, artifact)
    sink = check_choice(renamed("--backend", "--sink", backend, sink, "log"), SINKS, "--sink")
    check_choice(engine, ENGINES, "--engine")
    summary = run_live(source, None if is_default(model) else resolve_model(model), sink, app=app_keys,
                       slides=slides, decision=decision, command_map=command_map, engine=engine, every_k=every_k,
                       show=show, save_video=save_video, realtime=realtime, port=port, say=console.print,
                       landmarks=landmarks, landmark_model=landmark_model)
    console.print(f"{summary['frames']} frames, {summary['commands']} commands in {summary['seconds']:.1f} s")


@friendly_errors
def present(
    model: ModelArg = DEFAULT_MODEL,
    slides: Annotated[Optional[Path], typer.Option(help="A PDF (needs pdftoppm) or a folder of slide images "
                                                   "(default: generated demo slides).")] = None,
    source: Annotated[str, typer.Option(help="webcam, a camera index, a video file or a landmark .npz.")
                      ] = "webcam",
    also: Annotated[Optional[list[str]], typer.Option("--also", help="Also send commands to: keyboard (key "
                                                      "presses for --app) or log (JSON lines); repeatable.")] = None,
    app_keys: Annotated[str, typer.Option("--app", help="Keyboard table for --also keyboard: "
                                          "powerpoint|keynote|impress|browser.")] = "browser",
    engine: Annotated[str, typer.Option(help="Model engine: torch | onnx.")] = "torch",
    port: Annotated[int, typer.Option(help="Port of the presenter page.")] = 8765,
    browser: Annotated[bool, typer.Option("--browser/--no-browser", help="Open the page in the default "
                                          "browser.")] = True,
    headless_check: Annotated[bool, typer.Option("--headless-check", help="Play --source through the page in a "
                                                 "headless Chromium; print one line and exit 0 (ok) or 1.")] = False,
    profile: Annotated[Optional[str], typer.Option("--profile", hidden=True, help="Deprecated: MODEL.")] = None,
) -> None:
    """Present with your hands: slides in the browser, a camera preview, the gesture legend, one command."""
    from gestura.runtime.present import run_present

    check_choice(engine, ENGINES, "--engine")
    if profile is not None:
        model = renamed("--profile NAME", "the MODEL argument (e.g. `gestura present NAME`)", profile, model,
                        DEFAULT_MODEL)
    code = run_present(source, slides, model, also=also or (), app=app_keys, engine=engine, port=port,
                       open_browser=browser, headless_check=headless_check, say=console.print,
                       out=lambda line: out.print(line, highlight=False, soft_wrap=True))
    if code:
        raise typer.Exit(code=code)


@friendly_errors
def enroll(
    model: ModelArg = DEFAULT_MODEL,
    source: Annotated[str, typer.Option(
        "--source", help="webcam | a camera index | a video file | a landmark .npz recording (prompts from its "
        "groundtruth.txt) | a landmark dataset folder with frame labels (batch, no page).")] = "webcam",
    name: Annotated[Optional[str], typer.Option(
        "--name", help="Save as this profile name (~/.gestura/profiles/NAME); then `gestura present NAME`.")
                    ] = None,
    out_dir: Annotated[Optional[Path], typer.Option("--out", help="Or: write the personal model to this folder.")
                       ] = None,
    takes: Annotated[int, typer.Option("--takes", "-k", help="Takes per gesture.")] = 5,
    gestures: Annotated[Optional[str], typer.Option(
        help="Comma-separated gestures to enrol (default: every gesture the command map uses).")] = None,
    add_gesture: Annotated[Optional[list[str]], typer.Option(
        "--add-gesture", help="A gesture of your own and its command, NAME=COMMAND (repeatable), e.g. "
        "wave=next_slide.")] = None,
    method: Annotated[str, typer.Option(help="How the model adapts: finetune | probe | prototype (docs/results.md "
                                       "compares them).")] = "finetune",
    page: Annotated[bool, typer.Option("--page/--no-page", help="Show the guided page in a browser (else the "
                                       "console only).")] = True,
    speed: Annotated[float, typer.Option(help="Play a recording at this many times real time (0: as fast as "
                                         "possible).")] = 1.0,
    check: Annotated[bool, typer.Option("--check/--no-check", help="End with a check round (each gesture once "
                                        "more).")] = True,
    open_browser: Annotated[bool, typer.Option("--open/--no-open", help="Open the page in the default browser."
                                               )] = True,
    replay: Annotated[Optional[Path], typer.Option(
        help="Batch enrolment: data the model was trained on, replayed so old users are not forgotten.")] = None,
    mode: Annotated[str, typer.Option(help="Batch enrolment: head (stage A only) | full (stage A then B).")
                    ] = "full",
    seed: Annotated[int, typer.Option(help="Seed of sampling and fine-tuning.")] = 0,
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace a model already there.")] = False,
    artifact: ArtifactAlias = None,
) -> None:
    """Teach a model your own gestures: a guided page shows each gesture, records K takes, fits your model, lets
    you check it and saves it as a profile (`gestura present NAME`)."""
    from gestura.runtime.profiles import profile_path
    from gestura.training.enroll import check_enrol_out

    src = resolve_model(model_arg(model, artifact))
    if (name is None) == (out_dir is None):
        raise ConfigError("enroll: give --name NAME (a profile under ~/.gestura/profiles) or --out FOLDER")
    dest = out_dir if out_dir is not None else profile_path(str(name))
    check_enrol_out(src, dest, overwrite=overwrite)
    if Path(source).is_dir():
        from gestura.training.enroll import enroll as run_enroll

        info = run_enroll(src, source, dest, k=takes, replay_data=replay, mode=mode, seed=seed, console=console,
                          overwrite=overwrite)
        console.print(f"enrolled from {info['takes']} take windows (+{info['replay']} replay) in "
                      f"{info['seconds']:.1f} s; wrote {dest}", highlight=False)
        return
    from gestura.runtime.commands import COMMANDS
    from gestura.training.guided_session import ADAPT_METHODS, enrol_guided

    check_choice(method, ADAPT_METHODS, "--method")
    commands: dict[str, str] = {}
    for item in add_gesture or []:
        name, sep, command = item.partition("=")
        if not sep or not name.strip() or command.strip() not in COMMANDS:
            raise ConfigError(f"--add-gesture {item!r}: expected NAME=COMMAND with a command from "
                              f"{', '.join(COMMANDS)}")
        commands[name.strip()] = command.strip()
    classes = [g.strip() for g in gestures.split(",") if g.strip()] if gestures else None
    res = enrol_guided(src, source, dest, k=takes, classes=classes, commands=commands or None, method=method,
                       page=page, speed=speed, seed=seed, check_round=check,
                       say=lambda m: console.print(m, highlight=False, markup=False),
                       on_page=lambda url: _show_page(url, open_browser))
    ok = sum(r["ok"] for r in res.check)
    console.print(f"enrolled {len(res.takes)} takes ({len(res.rejected)} asked again) in {res.adapt_seconds:.1f} s"
                  f" of fitting; check round {ok}/{len(res.check)}; wrote {dest}", highlight=False)
    out.print(str(dest), highlight=False)


def _show_page(url: str, open_browser: bool) -> None:
    console.print(f"enrolment page at {url} (it starts when the page is open; Ctrl-C to quit)", highlight=False)
    if open_browser:
        import webbrowser

        webbrowser.open(url)


profiles_app = typer.Typer(help="Your personal models (from `gestura enroll --name NAME`).", no_args_is_help=True)


@profiles_app.command("list")
@friendly_errors
def profiles_list(json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the saved profiles with their gestures."""
    import json

    from gestura.runtime.profiles import list_profiles, profiles_dir

    rows = list_profiles()
    if json_out:
        out.print(json.dumps([{"name": p.name, "path": str(p.path), "gestures": list(p.gestures),
                               "created": p.created, "method": p.method} for p in rows]), highlight=False)
        return
    if not rows:
        console.print(f"no profiles in {profiles_dir()} yet; make one with gestura enroll --name NAME",
                      highlight=False)
        return
    width = max(len(p.name) for p in rows)
    for p in rows:
        out.print(f"{p.name:<{width}}  {p.created or '-':<20}  {p.method or '-':<9}  {', '.join(p.gestures)}",
                  highlight=False, soft_wrap=True)


@profiles_app.command("remove")
@friendly_errors
def profiles_remove(name: Annotated[str, typer.Argument(help="Profile name.")]) -> None:
    """Delete a saved profile."""
    from gestura.runtime.profiles import remove_profile

    path = remove_profile(name)
    console.print(f"removed {path}", highlight=False)


@friendly_errors
def record(
    label: Annotated[str, typer.Option(help="Class name of the gesture you will perform.")],
    out_dir: Annotated[Path, typer.Option("--out", help="Dataset folder (seed-003 layout; appended to).")],
    count: Annotated[int, typer.Option(help="Number of takes.")] = 10,
    source: Annotated[str, typer.Option(help="webcam, a camera index, or a video file used as the camera.")
                      ] = "webcam",
    seconds: Annotated[float, typer.Option(help="Length of one take.")] = 1.5,
    countdown: Annotated[float, typer.Option(help="Seconds of countdown before each take.")] = 2.0,
    subject: Annotated[str, typer.Option(help="Who is recording (used for subject-wise splits).")] = "me",
) -> None:
    """Record labelled takes of your own gesture (countdown, one clip per take) for `train --init-from`."""
    from gestura.runtime.record import record_takes

    rep = record_takes(source, label, count, out_dir, take_s=seconds, countdown_s=countdown, subject=subject,
                       say=console.print)
    console.print(f"wrote {len(rep.video_ids)} takes of {label!r} to {rep.out}")
