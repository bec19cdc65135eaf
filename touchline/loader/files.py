"""The landed files of an account that a load reads (listed, never opened here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import fsspec

from touchline.landing.layout import day_files, filesystem, hour_of_path
from touchline.loader.window import LoadWindow


@dataclass(frozen=True)
class LandedFile:
    path: str  # as fsspec lists it (no protocol)
    hour: datetime  # naive UTC start of its hour folder
    in_window: bool  # False: a margin file, read only to find earlier copies
    size: int  # bytes when listed (a file being appended to may be longer when read)


@dataclass(frozen=True)
class Landed:
    fs: fsspec.AbstractFileSystem
    files: tuple[LandedFile, ...]

    @property
    def local(self) -> bool:
        return isinstance(self.fs, fsspec.implementations.local.LocalFileSystem)

    def url(self, item: LandedFile) -> str:
        """The file's name for a reader outside fsspec (a plain path when local)."""
        return item.path if self.local else self.fs.unstrip_protocol(item.path)

    @property
    def window(self) -> list[LandedFile]:
        return [f for f in self.files if f.in_window]

    def window_chunks(self, max_bytes: int) -> list[list[LandedFile]]:
        """The window's files in groups of about ``max_bytes`` (at least one file each)."""
        chunks: list[list[LandedFile]] = []
        size = 0
        for item in self.window:
            if not chunks or size + item.size > max_bytes:
                chunks.append([])
                size = 0
            chunks[-1].append(item)
            size += item.size
        return chunks


def find_landed(root: str, account: str, window: LoadWindow) -> Landed:
    """The window's and the margin's files, one listing per UTC day folder."""
    fs = filesystem(root)
    inside, margin = set(window.hours), set(window.margin_hours)
    found = []
    for day in sorted({h.date() for h in inside | margin}):
        for path, info in sorted(day_files(fs, root, account, day).items()):
            hour = hour_of_path(path)
            if hour in inside or hour in margin:
                found.append(LandedFile(path, hour, hour in inside, int(info.get("size") or 0)))
    return Landed(fs, tuple(found))
