"""Every benchmark in one run (`make bench`): PDF vs bare WeasyPrint, whole issue vs PDF alone and peak
memory, the 数字报 replica's cost, incremental builds of a 200-issue archive, 2 RQ workers against the local
build, the server under load and the PDF's print quality. Each prints its figures."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    ["pdf.py", "--rounds", "3"],
    ["edition.py", "--rounds", "3"],
    ["replica.py", "--rounds", "3"],  # the 数字报 replica against the build without it (#12)
    ["archive.py", "--issues", "200", "--rounds", "5"],  # every format: the 200-issue build takes minutes
    ["distributed.py", "--issues", "40", "--rounds", "3"],  # 2 RQ workers vs the local build (redis-server)
    ["jobs.py", "--issues", "200"],  # full re-render, --jobs 2 against --jobs 1: about 15 minutes
    ["load.py", "--clients", "200", "--seconds", "5"],
    ["print_quality.py"],  # not timed: the PDF's print-quality figures (#13)
    ["s3.py", "--issues", "200", "--rounds", "5"],  # publish to a local S3 server (moto); no PDF (#14)
]

if __name__ == "__main__":
    failed = 0
    for script, *args in SCRIPTS:
        print(f"\n== bench/{script} {' '.join(args)}", flush=True)
        failed |= subprocess.run([sys.executable, str(HERE / script), *args], check=False).returncode
    sys.exit(failed)
