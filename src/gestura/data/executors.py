"""`map_files`: run one function over many files on a local process pool or on Ray, with a progress bar.

`engine="local"`: each worker is a fresh (spawned) process, so state a task function caches at module level
(e.g. one landmark backend) is built once per worker and reused for every file it handles. Workers send their
native stderr (FFmpeg and MediaPipe log lines) to /dev/null, so the console shows only the progress bar and the
lines the caller prints.

`engine="ray"`: the same function runs as Ray tasks (one CPU each, at most `workers` in flight). Ray reuses its
worker processes, so the module-level cache still gives one backend per Ray worker. Without `address` a private
local cluster bound to 127.0.0.1 is started for the call and shut down after it (`ray_cluster`); with `address`
("auto" or "ray://host:10001") the existing cluster is used and left running.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager
from typing import Any, TypeVar

from gestura.errors import ConfigError
from gestura.limits import MAX_WORKERS, check_number

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

T = TypeVar("T")
R = TypeVar("R")
ENGINES = ("local", "ray")
LOOPBACK = "127.0.0.1"


def silence_native_output() -> None:
    """Point this process's file descriptors 1 and 2 at /dev/null (C++ libraries print there directly)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    os.close(devnull)


def import_ray() -> Any:
    """`ray`, or a `ConfigError` saying which extra to install."""
    try:
        import ray
    except ModuleNotFoundError:
        raise ConfigError("--executor ray needs Ray: pip install 'gestura[ray]'") from None
    return ray


@contextmanager
def ray_cluster(address: str | None = None, num_cpus: int | None = None,
                object_store_mb: int = 150) -> Iterator[Any]:
    """Connect to Ray for the duration of a `with` block and yield the `ray` module.

    An already initialised Ray is used as is (and left running). `address` joins an existing cluster. Otherwise a
    local cluster with `num_cpus` CPUs, a small object store and no dashboard is started on 127.0.0.1 only, so
    nothing listens on the machine's network address, and it is shut down on exit.
    """
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    if not address:
        # On Linux Ray swaps a loopback node address for the network one (services.resolve_ip_for_localhost)
        # unless clusters are off; with them off every gRPC server and agent binds 127.0.0.1.
        os.environ["RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"] = "0"
    ray = import_ray()
    if ray.is_initialized():
        yield ray
        return
    if num_cpus is not None and num_cpus < 1:
        raise ConfigError(f"--num-cpus must be at least 1, got {num_cpus}")
    if not address:
        from ray._private import ray_constants

        ray_constants.ENABLE_RAY_CLUSTER = False
    try:
        if address:
            ray.init(address=address, log_to_driver=False, configure_logging=False)
        else:
            ray.init(num_cpus=num_cpus or 1, object_store_memory=object_store_mb * 1024 * 1024,
                     include_dashboard=False, _node_ip_address=LOOPBACK, log_to_driver=False,
                     configure_logging=False)
    except (ConnectionError, ValueError, RuntimeError) as err:
        raise ConfigError(f"ray address {address or 'local'}: cannot start or join the cluster "
                          f"({str(err).splitlines()[0] if str(err) else type(err).__name__})") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def map_files(fn: Callable[[T], R], items: Sequence[T], workers: int = 1, progress: bool = True, *,
              on_result: Callable[[T, R], None] | None = None, description: str = "processing",
              console: Console | None = None, in_process: bool = False, engine: str = "local",
              address: str | None = None, num_cpus: int | None = None) -> list[R]:
    """Apply `fn` to every item on `workers` spawned processes (or Ray tasks); results come back in input order.

    `fn` must be a module-level function and should return errors as values: an exception it raises is
    re-raised here and stops the run. `on_result(item, result)` runs in the calling process as each item
    finishes (for console lines). `in_process=True` runs everything in this process, without silencing output.
    `engine="ray"` runs on Ray (see the module docstring); `num_cpus` sizes a local cluster (default `workers`).
    """
    check_number(workers, "--workers", low=1, high=MAX_WORKERS, integer=True)
    if engine not in ENGINES:
        raise ConfigError(f"--executor must be one of {', '.join(ENGINES)}, got {engine!r}")
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
        if engine == "ray":
            _map_ray(fn, items, workers, finish, address, num_cpus or workers)
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


def _ray_task(fn: Callable[[T], R], item: T) -> R:
    return fn(item)


def _map_ray(fn: Callable[[T], R], items: Sequence[T], workers: int, finish: Callable[[int, R], None],
             address: str | None, num_cpus: int) -> None:
    """Submit `fn(item)` as Ray tasks, at most `workers` in flight, calling `finish(i, result)` as they end."""
    with ray_cluster(address, num_cpus) as ray:
        task = ray.remote(num_cpus=1, max_retries=0)(_ray_task)
        fn_ref = ray.put(fn)
        pending: dict[Any, int] = {}
        queue = iter(enumerate(items))
        try:
            for i, item in queue:
                pending[task.remote(fn_ref, item)] = i
                if len(pending) >= workers:
                    break
            while pending:
                done, _ = ray.wait(list(pending), num_returns=1)
                for ref in done:
                    finish(pending.pop(ref), ray.get(ref))
                    nxt = next(queue, None)
                    if nxt is not None:
                        pending[task.remote(fn_ref, nxt[1])] = nxt[0]
        finally:
            for ref in pending:
                ray.cancel(ref, force=True)
