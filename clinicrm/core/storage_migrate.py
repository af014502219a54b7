"""Copy the private media from local disk to the object storage, idempotent and resumable.

Keys stay the same (`<tenant>/<yyyy>/<mm>/<uuid>.<ext>`), so no database row changes: once every
file is in the bucket, the web and worker processes are restarted with STORAGE_URL and read the
same `media_path` values from there. A file already in the bucket with the same size is skipped;
one with another size (an upload cut short by an older tool) is replaced. A PUT is atomic in S3,
so an interrupted run leaves whole objects or none: running it again finishes the job.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from django.core.files import File
from django.core.files.storage import Storage

SKIP_DIRS = ("_readyz",)  # the readiness probe's scratch files


@dataclass
class MigrateReport:
    copied: int = 0
    skipped: int = 0
    replaced: int = 0
    bytes_copied: int = 0


def local_media_files(root: Path) -> Iterator[tuple[str, Path]]:
    """(storage name, local path) of every file under `root`, in a stable order."""
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(root).as_posix()
        if name.split("/", 1)[0] in SKIP_DIRS:
            continue
        yield name, path


def media_migrate(
    *,
    root: Path,
    destination: Storage,
    dry_run: bool = False,
    progress: Callable[[MigrateReport], None] | None = None,
) -> MigrateReport:
    report = MigrateReport()
    for name, path in local_media_files(root):
        size = path.stat().st_size
        present = destination.exists(name)
        if present and destination.size(name) == size:
            report.skipped += 1
            continue
        if not dry_run:
            if present:
                destination.delete(name)
            with path.open("rb") as fh:
                saved = destination.save(name, File(fh, name=path.name))
            if saved != name:
                raise RuntimeError(f"the storage renamed {name} to {saved}")
        report.replaced += int(present)
        report.copied += 1
        report.bytes_copied += size
        if progress is not None and report.copied % 100 == 0:
            progress(report)
    return report
