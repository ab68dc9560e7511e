"""Copying the snapshot to where a cluster reads it: a shared folder or an object store.

The refresh always writes a local folder (its lock file, atomic renames and the watermark
need one). :func:`publish` then mirrors that folder to a location given as a path or a URL
(``file:///…``, ``s3://bucket/prefix``, ``gs://…``, ``abfs://…``), through pyarrow's
filesystems (:func:`pyarrow.fs.FileSystem.from_uri`, which takes the cloud credentials
from the usual environment: AWS_*, GOOGLE_APPLICATION_CREDENTIALS, AZURE_STORAGE_*).

Only what changed travels: a file is copied when the target lacks it, has another size,
or is older than the local file (a refresh rewrites a changed partition's one file), and a
target file the local folder no longer has (a partition whose rows all went) is deleted.
Each data file is put whole, so a reader sees a partition's old file or its new one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pyarrow import fs


@dataclass(frozen=True)
class PublishSummary:
    """What :func:`publish` did: where to, and how many files it copied and deleted."""

    location: str
    copied: int
    deleted: int


def publish(directory: Path, location: str) -> PublishSummary:
    """Mirror the snapshot folder ``directory`` to ``location`` (a path or URL)."""
    target, root = _filesystem(location)
    local = fs.LocalFileSystem()
    source_root = str(directory.resolve())
    mine = _files(local, source_root)
    theirs = _files(target, root)
    copied = 0
    for name, info in sorted(mine.items()):
        there = theirs.get(name)
        if there is None or there.size != info.size or there.mtime < info.mtime:
            target.create_dir(f"{root}/{name}".rsplit("/", 1)[0], recursive=True)
            fs.copy_files(
                f"{source_root}/{name}",
                f"{root}/{name}",
                source_filesystem=local,
                destination_filesystem=target,
            )
            copied += 1
    stale = sorted(set(theirs) - set(mine))
    for name in stale:
        target.delete_file(f"{root}/{name}")
    return PublishSummary(location, copied, len(stale))


def has_folder(location: str, name: str) -> bool:
    """Whether the snapshot at ``location`` holds the folder ``name`` (on an object store:
    any object under that prefix)."""
    filesystem, root = _filesystem(location)
    return filesystem.get_file_info(f"{root}/{name}").type == fs.FileType.Directory


def _filesystem(location: str) -> tuple[fs.FileSystem, str]:
    if "://" not in location:
        location = str(Path(location).resolve())
    try:
        target, root = fs.FileSystem.from_uri(location)
    except (ValueError, OSError) as exc:
        raise ValueError(
            f"snapshot location = {location!r}: {exc}; expected a path or a file://, s3://, "
            "gs:// or abfs:// URL"
        ) from None
    return target, root.rstrip("/")


def _files(filesystem: fs.FileSystem, root: str) -> dict[str, fs.FileInfo]:
    """The snapshot's files under ``root`` by their path below it (hidden partial files left out)."""
    selector = fs.FileSelector(root, recursive=True, allow_not_found=True)
    files = {}
    for info in filesystem.get_file_info(selector):
        name = info.path[len(root) :].lstrip("/")
        if info.type == fs.FileType.File and not any(part.startswith(".") for part in name.split("/")):
            files[name] = info
    return files
