"""The master key the benchmarks seal identity fields and evidence files with.

The tracker never writes a name in the clear: without a master key, generating synthetic
people fails. Benchmarks use one key file for every run, so a database kept for `--reuse`
opens again, and its sealing cost is measured as in real use.
"""

import tempfile
from pathlib import Path

from tracker.domain.sealing import install_keyring
from tracker.services.master_keys import generate_key_file, read_key_file

BENCH_MASTER_KEY = Path(tempfile.gettempdir()) / "tracker-bench-master.key"


def install_bench_master_key() -> Path:
    """Install the benchmarks' master key as this process's keyring (made on first use) and
    return its file, for settings that name one."""
    if not BENCH_MASTER_KEY.exists():
        generate_key_file(BENCH_MASTER_KEY)
    install_keyring(read_key_file(BENCH_MASTER_KEY, production=False))
    return BENCH_MASTER_KEY
