"""Paths that may be local or on an object store (gs://, s3://, ...): the few file operations the run
directory and the input listing need, through fsspec. A local path takes the plain os calls, so local
runs behave exactly as before; a URL needs its fsspec backend installed (gcsfs for gs://, s3fs for
s3://), which Dataflow workers get with the `[dataflow]` extra."""
from __future__ import annotations

import glob as _glob
import os
from typing import IO, Any

import fsspec


def is_remote(path: str) -> bool:
    """Whether `path` is a URL of a non-local filesystem (file:// counts as local)."""
    return "://" in path and not path.startswith("file://")


def _local(path: str) -> str:
    return path[len("file://"):] if path.startswith("file://") else path


def filesystem(path: str) -> tuple[Any, str]:
    """The fsspec filesystem of a URL, and the path as that filesystem names it."""
    return fsspec.core.url_to_fs(path)


def join(base: str, *parts: str) -> str:
    """`base/part/...` for a local path or a URL (a URL always joins with `/`)."""
    if not is_remote(base):
        return os.path.join(base, *parts)
    return "/".join([base.rstrip("/"), *(p.strip("/") for p in parts)])


def exists(path: str) -> bool:
    if not is_remote(path):
        return os.path.exists(_local(path))
    fs, p = filesystem(path)
    return fs.exists(p)


def isdir(path: str) -> bool:
    if not is_remote(path):
        return os.path.isdir(_local(path))
    fs, p = filesystem(path)
    return fs.isdir(p)


def isfile(path: str) -> bool:
    if not is_remote(path):
        return os.path.isfile(_local(path))
    fs, p = filesystem(path)
    return fs.isfile(p)


def makedirs(path: str) -> None:
    """Create a folder and its parents (object stores have no folders: nothing to do there)."""
    if not is_remote(path):
        os.makedirs(_local(path), exist_ok=True)


def glob(pattern: str, recursive: bool = False) -> list[str]:
    """Paths matching `pattern`, sorted, in the same form (URLs keep their scheme)."""
    if not is_remote(pattern):
        return sorted(_glob.glob(_local(pattern), recursive=recursive))
    fs, p = filesystem(pattern)
    return sorted(fs.unstrip_protocol(m) for m in fs.glob(p))


def files_under(path: str) -> list[str]:
    """Every file under a folder, recursively, sorted."""
    if not is_remote(path):
        return sorted(os.path.join(d, f) for d, _, files in os.walk(_local(path)) for f in files)
    fs, p = filesystem(path)
    return sorted(fs.unstrip_protocol(m) for m in fs.find(p))


def size(path: str) -> int:
    """Bytes of a file, or of every file under a folder (0 for a path that is neither)."""
    if not is_remote(path):
        local = _local(path)
        if os.path.isdir(local):
            return sum(os.path.getsize(f) for f in files_under(local))
        return os.path.getsize(local) if os.path.isfile(local) else 0
    fs, p = filesystem(path)
    return int(fs.du(p)) if fs.isdir(p) else int(fs.size(p) or 0)


def open_file(path: str, mode: str = "rb", **kw: Any) -> IO:
    """An open file (local, or streamed from or to an object store)."""
    if not is_remote(path):
        return open(_local(path), mode, **kw)
    return fsspec.open(path, mode, **kw).open()


def remove(path: str) -> None:
    if not is_remote(path):
        os.remove(_local(path))
        return
    fs, p = filesystem(path)
    fs.rm(p)


def remove_tree(path: str) -> None:
    """Remove a folder and everything under it (local or on an object store)."""
    if not is_remote(path):
        import shutil

        shutil.rmtree(_local(path))
        return
    fs, p = filesystem(path)
    fs.rm(p, recursive=True)


def local_copy(path: str) -> str:
    """A local path for a file that may be on an object store: the path itself when local, else a copy
    downloaded once per process into a temporary folder (models that their libraries read by path, such
    as fastText's, loaded by workers from shared storage)."""
    if not is_remote(path):
        return _local(path)
    import hashlib
    import shutil
    import tempfile

    name = hashlib.sha1(path.encode("utf-8")).hexdigest()[:16] + "-" + os.path.basename(path.rstrip("/"))
    target = os.path.join(tempfile.gettempdir(), f"roots-models-{os.getpid()}", name)
    if not os.path.exists(target):
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open_file(path, "rb") as src, open(f"{target}.part", "wb") as dst:
            shutil.copyfileobj(src, dst, 1 << 22)
        os.replace(f"{target}.part", target)
    return target
