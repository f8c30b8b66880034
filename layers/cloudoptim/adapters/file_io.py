"""Reading input files: compression detected by magic bytes, and one-line errors naming the file.

Users hand us files straight from `aws ec2 describe-spot-price-history`, archives and dumps with misleading
extensions, so the content decides how a file is read, never the name alone.
"""

from __future__ import annotations

import bz2
import gzip
import lzma
import shutil
import subprocess
import zlib
from collections.abc import Iterable
from pathlib import Path

from cloudoptim.errors import InputFileError

PathLike = str | Path
Paths = PathLike | Iterable[PathLike]

_XZ_MAGIC = b"\xfd7zXZ\x00"
_GZIP_MAGIC = b"\x1f\x8b"
_BZ2_MAGIC = b"BZh"
_ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


def as_path_list(paths: Paths) -> list[Path]:
    """One path or many, as a list (a lone str is one path, not an iterable of characters)."""
    if isinstance(paths, str | Path):
        return [Path(paths)]
    return [Path(p) for p in paths]


def read_bytes(path: Path) -> bytes:
    """The raw bytes of a file, with missing or unreadable files reported as InputFileError."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputFileError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise InputFileError(f"{path}: cannot be read ({exc.strerror})") from None


def decompress(data: bytes, name: str) -> bytes:
    """`data` decompressed according to its magic bytes (xz, gzip, bz2, zstd), or unchanged when plain."""
    try:
        if data.startswith(_XZ_MAGIC):
            return lzma.decompress(data)
        if data.startswith(_GZIP_MAGIC):
            return gzip.decompress(data)
        if data.startswith(_BZ2_MAGIC):
            return bz2.decompress(data)
    except (lzma.LZMAError, OSError, EOFError, zlib.error, ValueError) as exc:
        raise InputFileError(f"{name}: corrupt or truncated compressed data ({exc})") from None
    if data.startswith(_ZSTD_MAGIC):
        return _zstd_decompress(data, name)
    return data


def _zstd_decompress(data: bytes, name: str) -> bytes:
    # The zstandard module is not a dependency; the zstd command is common on hosts that have .zst files.
    exe = shutil.which("zstd")
    if exe is None:
        raise InputFileError(f"{name}: zstd-compressed, but the 'zstd' command is not installed")
    result = subprocess.run([exe, "-dc"], input=data, capture_output=True, check=False)
    if result.returncode != 0:
        detail = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputFileError(f"{name}: zstd could not decompress it ({detail[-1] if detail else 'error'})")
    return result.stdout


def read_text(path: Path) -> str:
    """A file's text after decompression, as UTF-8 (a leading BOM is dropped)."""
    return decode_text(decompress(read_bytes(path), str(path)), str(path))


def decode_text(data: bytes, name: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{name}: not UTF-8 text (byte {exc.start}); is it a binary file?") from None


def is_tar(data: bytes) -> bool:
    """True for a POSIX/GNU tar archive (the "ustar" magic sits at offset 257 of the first header)."""
    return len(data) > 262 and data[257:262] == b"ustar"
