"""Keep MediaPipe's native (absl / TF-Lite) chatter off the terminal.

MediaPipe's C++ code writes lines such as `W0000 00:00:17.. 123 inference_feedback_manager.cc:114] ...` and
`INFO: Created TensorFlow Lite XNNPACK delegate for CPU.` straight to file descriptor 2; environment variables
(GLOG_minloglevel, TF_CPP_MIN_LOG_LEVEL) do not reach them. `NativeLogFilter` puts a pipe in front of fd 2 and
a thread that forwards every line except those informational/warning ones; errors (`E....`, `F....`) and all of
Python's own output still pass. The CLI installs it unless `--verbose`, and removes it when the command ends.
"""

from __future__ import annotations

import os
import re
import sys
import threading

NATIVE_NOISE = re.compile(
    rb"^(?:[IW]\d{4} [\d:.]+ +\d+ [^\]]+\] "
    rb"|INFO: Created TensorFlow Lite XNNPACK delegate"
    rb"|WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR)")
"""Lines dropped: absl/glog INFO and WARNING records, TF-Lite's delegate notice, absl's pre-init notice."""


def is_native_noise(line: bytes) -> bool:
    """True for a native INFO/WARNING log line that `NativeLogFilter` drops."""
    return NATIVE_NOISE.match(line) is not None


class NativeLogFilter:
    """Filter fd 2 through a pipe until `restore()`; `dropped` counts the lines kept off the terminal."""

    def __init__(self) -> None:
        self.dropped = 0
        self._fd = 2
        sys.stderr.flush()
        self._saved = os.dup(self._fd)
        read_end, write_end = os.pipe()
        os.dup2(write_end, self._fd)
        os.close(write_end)
        self._read = read_end
        self._out = os.dup(self._saved)  # the pump's own copy: closed by the pump when the pipe ends
        self._thread = threading.Thread(target=self._pump, name="gestura-native-logs", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        buf = b""
        while True:
            try:
                chunk = os.read(self._read, 65536)
            except OSError:
                break
            if not chunk:
                break
            buf += chunk
            *lines, buf = buf.split(b"\n")
            self._forward(lines)
        if buf:
            self._forward([buf], newline=False)
        os.close(self._read)
        os.close(self._out)

    def _forward(self, lines: list[bytes], newline: bool = True) -> None:
        keep = []
        for line in lines:
            if is_native_noise(line):
                self.dropped += 1
            else:
                keep.append(line + (b"\n" if newline else b""))
        if keep:
            os.write(self._out, b"".join(keep))

    def restore(self) -> None:
        """Put the original fd 2 back and forward what is still in the pipe (idempotent)."""
        if self._saved < 0:
            return
        try:
            sys.stderr.flush()
        except (OSError, ValueError):
            pass
        os.dup2(self._saved, self._fd)  # closes our pipe's write end on fd 2: the pump sees EOF
        self._thread.join(2.0)
        os.close(self._saved)
        self._saved = -1


def quiet_native_logs() -> NativeLogFilter | None:
    """Install the filter on POSIX (a no-op returning None elsewhere or when fd 2 cannot be duplicated)."""
    if os.name != "posix":
        return None
    try:
        return NativeLogFilter()
    except OSError:
        return None
