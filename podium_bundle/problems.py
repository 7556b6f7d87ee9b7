"""Collecting every problem of a bundle at once, each with its key path."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_SHOWN = 100


@dataclass(frozen=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class BundleInvalid(Exception):
    """The bundle cannot be imported; `errors` lists every reason."""

    def __init__(
        self, errors: list[Problem], warnings: list[Problem] | list[str] | None = None
    ) -> None:
        self.problems = errors
        # A hostile bundle can have thousands of problems; the first ones say enough.
        self.errors = [str(problem) for problem in errors[:MAX_SHOWN]]
        if len(errors) > MAX_SHOWN:
            self.errors.append(f"... and {len(errors) - MAX_SHOWN} more problems")
        self.warnings = [str(problem) for problem in warnings or []]
        super().__init__("\n".join(self.errors))


@dataclass
class Problems:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

    def error(self, path: str, message: str) -> None:
        self.errors.append(Problem(path, message))

    def warn(self, path: str, message: str) -> None:
        self.warnings.append(Problem(path, message))

    def raise_if_any(self) -> None:
        if self.errors:
            raise BundleInvalid(self.errors, self.warnings)


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key
