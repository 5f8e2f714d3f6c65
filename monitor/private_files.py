"""Files holding the owner's prices, suppliers and logs are created for the owner's eyes only (0600,
folders 0700), whatever the umask: on a shared machine nobody else has any business reading them.

SQLite gives a database's -wal and -shm files the permissions of the database itself, so a private
database keeps its journal private too. Files that already exist keep the permissions they have.
"""

from __future__ import annotations

import os
from pathlib import Path

FILE_MODE, FOLDER_MODE = 0o600, 0o700


def create_file(path: str | os.PathLike[str]) -> Path:
    """Create ``path`` empty and private unless it exists; returns it."""
    path = Path(path)
    try:
        descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, FILE_MODE)
    except FileExistsError:
        return path
    try:
        os.fchmod(descriptor, FILE_MODE)  # exactly, whatever the umask took away or left
    finally:
        os.close(descriptor)
    return path


def make_folder(path: str | os.PathLike[str]) -> Path:
    """Create the folder ``path`` private unless it exists; returns it."""
    path = Path(path)
    try:
        path.mkdir(FOLDER_MODE)
    except FileExistsError:
        return path
    os.chmod(path, FOLDER_MODE)
    return path
