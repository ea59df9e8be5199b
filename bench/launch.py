"""Run a command and write its own wall time, CPU and peak memory to a file (JSON).

The benchmark starts every measured command through this small process rather than directly:
on Linux a child's peak resident memory counts the memory of the process it was forked from,
so a command forked from the benchmark itself would report the benchmark's size. Forked from
here, the floor is this interpreter's few MiB.

    python -S launch.py RESULT_FILE COMMAND [ARG...]
"""

import json
import os
import sys
import time

result, argv = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:  # pragma: no cover - the child becomes the command
    try:
        os.execvp(argv[0], argv)
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - started
with open(result, "w", encoding="utf-8") as out:
    json.dump({"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "maxrss_kib": usage.ru_maxrss}, out)
sys.exit(os.waitstatus_to_exitcode(status))
