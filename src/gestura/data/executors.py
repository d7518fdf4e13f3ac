"""`map_files`: run one function over many files on a local process pool, with a rich progress bar.

Each worker is a fresh (spawned) process, so state a task function caches at module level (e.g. one landmark
backend) is built once per worker and reused for every file it handles. Workers send their native stderr (FFmpeg
and MediaPipe log lines) to /dev/null, so the console shows only the progress bar and the lines the caller prints.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import TypeVar

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

T = TypeVar("T")
R = TypeVar("R")


def silence_native_output() -> None:
    """Point this process's file descriptors 1 and 2 at /dev/null (C++ libraries print there directly)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def map_files(fn: Callable[[T], R], items: Sequence[T], workers: int = 1, progress: bool = True, *,
              on_result: Callable[[T, R], None] | None = None, description: str = "processing",
              console: Console | None = None, in_process: bool = False) -> list[R]:
    """Apply `fn` to every item on `workers` spawned processes; results come back in input order.

    `fn` must be a module-level function and should return errors as values: an exception it raises is
    re-raised here and stops the run. `on_result(item, result)` runs in the calling process as each item
    finishes (for console lines). `in_process=True` runs everything in this process, without silencing output.
    """
    if workers < 1:
        raise ValueError(f"workers must be >= 1, got {workers}")
    results: list[R | None] = [None] * len(items)
    bar = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                   TimeElapsedColumn(), TextColumn("eta"), TimeRemainingColumn(),
                   console=console or Console(stderr=True), disable=not progress, transient=False)
    with bar:
        task = bar.add_task(description, total=len(items))

        def finish(i: int, result: R) -> None:
            results[i] = result
            if on_result is not None:
                on_result(items[i], result)
            bar.advance(task)

        if in_process:
            for i, item in enumerate(items):
                finish(i, fn(item))
            return results  # type: ignore[return-value]
        ctx = mp.get_context("spawn")
        with ProcessPoolExecutor(max_workers=min(workers, max(len(items), 1)), mp_context=ctx,
                                 initializer=silence_native_output) as pool:
            pending: dict[Future[R], int] = {}
            queue = iter(enumerate(items))
            for i, item in queue:
                pending[pool.submit(fn, item)] = i
                if len(pending) >= 2 * workers:
                    break
            while pending:
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in done:
                    finish(pending.pop(fut), fut.result())
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending[pool.submit(fn, nxt[1])] = nxt[0]
    return results  # type: ignore[return-value]
