"""Resolving the files a bundle refers to: folders, zips (unpacked safely), single files."""

from __future__ import annotations

import re
import shutil
import zipfile
from pathlib import Path, PurePosixPath

from podium_bundle import images, yamlsafe
from podium_bundle.problems import Problems
from podium_bundle.spec import FileRef
from podium_worker import archive

UUID = re.compile(
    r"^[0-9a-fA-F]{8}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{4}-?[0-9a-fA-F]{12}$"
)
TEXT_LIMIT = 1024 * 1024
LOGO_LIMITS = images.ImageLimits(
    max_bytes=2 * 1024 * 1024, max_pixels=4096 * 4096, formats=("PNG", "JPEG", "GIF", "WEBP")
)
METADATA_NAMES = ("metadata", "metadata.yaml", "metadata.yml")
JUNK = {"__MACOSX", ".DS_Store"}


class Resolver:
    """Turns references written in competition.yaml into folders under the workspace."""

    def __init__(self, root: Path, workspace: Path, budget: archive.Budget, problems: Problems):
        self.root = root.resolve()
        self.workspace = workspace
        self.budget = budget
        self.problems = problems
        self._cache: dict[Path, Path] = {}

    def locate(self, written: object, path: str) -> Path | None:
        """The file or folder `written` names inside the bundle, or a problem."""
        if not isinstance(written, str) or not written.strip():
            self.problems.error(path, "expected a relative path to a file or folder")
            return None
        try:
            relative = archive.safe_member_path(written.strip().rstrip("/") or ".")
        except archive.ArchiveError as exc:
            self.problems.error(path, str(exc).replace("member", "path", 1))
            return None
        target = self.root.joinpath(*relative.parts)
        if target.is_symlink() or not target.resolve().is_relative_to(self.root):
            self.problems.error(path, f"{written!r} is a link or leaves the bundle")
            return None
        if not target.exists():
            self.problems.error(path, f"{written!r} is not in the bundle")
            return None
        return target

    def reference(self, written: object, path: str, *, may_reuse: bool = True) -> FileRef | None:
        """A data or program reference: a folder, a zip (unpacked), or an existing file's key."""
        if (
            may_reuse
            and isinstance(written, str)
            and UUID.match(written.strip())
            and not (self.root / written.strip()).exists()
        ):
            return FileRef(written=written, data_key=written.strip())
        target = self.locate(written, path)
        if target is None:
            return None
        folder = self._as_folder(target, path)
        return None if folder is None else FileRef(written=str(written), folder=folder)

    def _as_folder(self, target: Path, path: str) -> Path | None:
        if target in self._cache:
            return self._cache[target]
        if target.is_dir():
            folder = target
        else:
            folder = self.workspace / f"ref-{len(self._cache)}"
            folder.mkdir()
            if zipfile.is_zipfile(target):
                try:
                    archive.extract(
                        target, folder, self.budget, where=str(target.relative_to(self.root))
                    )
                except archive.ArchiveError as exc:
                    self.problems.error(path, str(exc))
                    return None
            else:
                shutil.copyfile(target, folder / target.name)
        self._cache[target] = folder
        return folder

    def program(self, written: object, path: str) -> FileRef | None:
        """A program reference: like `reference`, and it must hold a metadata command."""
        ref = self.reference(written, path)
        if ref is None or ref.folder is None:
            return ref
        folder = ref.folder
        inner = self._unwrapped(folder)
        if not _metadata_file(folder) and inner is not None and _metadata_file(inner):
            self.problems.warn(path, f"program wrapped in the folder '{inner.name}/'; using it")
            folder = inner
            ref = FileRef(written=ref.written, folder=folder)
        metadata = _metadata_file(folder)
        if metadata is None:
            self.problems.error(path, "no 'metadata' or 'metadata.yaml' file with a command")
            return ref
        self._check_metadata(metadata, path)
        return ref

    def _check_metadata(self, metadata: Path, path: str) -> None:
        where = f"{path} ({metadata.name})"
        if metadata.stat().st_size > 64 * 1024:
            self.problems.error(where, "larger than 64 KB")
            return
        try:
            content = yamlsafe.load(metadata.read_bytes(), name=metadata.name)
        except yamlsafe.YamlError as exc:
            self.problems.error(where, str(exc))
            return
        command = content.get("command") if isinstance(content, dict) else None
        if not isinstance(command, str) or not command.strip():
            self.problems.error(where, "needs a 'command:' line")

    @staticmethod
    def _unwrapped(folder: Path) -> Path | None:
        entries = [entry for entry in folder.iterdir() if entry.name not in JUNK]
        if len(entries) == 1 and entries[0].is_dir():
            return entries[0]
        return None

    def text(self, written: object, path: str, *, required: bool = True) -> str:
        """The content of a Markdown or HTML file in the bundle."""
        target = self.locate(written, path)
        if target is None:
            return ""
        if not target.is_file():
            self.problems.error(path, f"{written!r} is a folder, not a file")
            return ""
        if target.stat().st_size > TEXT_LIMIT:
            self.problems.error(path, f"{written!r} is larger than {TEXT_LIMIT} bytes")
            return ""
        try:
            content = target.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            self.problems.error(path, f"{written!r} is not UTF-8 text")
            return ""
        if not content.strip():
            if required:
                self.problems.error(path, f"{written!r} is empty")
            else:
                self.problems.warn(path, f"{written!r} is empty")
        return content

    def logo(self, written: object, path: str) -> Path | None:
        target = self.locate(written, path)
        if target is None:
            return None
        if not target.is_file():
            self.problems.error(path, f"{written!r} is a folder, not an image")
            return None
        if PurePosixPath(target.name).suffix.lower() == ".svg":
            self.problems.error(
                path,
                "SVG logos are not accepted (they can carry scripts); use PNG, JPEG, GIF or WebP",
            )
            return None
        try:
            images.check_image(target, size=target.stat().st_size, limits=LOGO_LIMITS)
        except images.ImageRefused as refused:
            self.problems.error(path, f"{written!r} {refused}")
            return None
        return target


def _metadata_file(folder: Path) -> Path | None:
    for name in METADATA_NAMES:
        candidate = folder / name
        if candidate.is_file():
            return candidate
    return None
