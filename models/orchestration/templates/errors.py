"""Template errors that say where in the template the problem is.

A message names its place first and then the problem, e.g.
`Resource "WebServer": property "ImageId": Ref to unknown parameter "Foo"`, because a user fixing
a template needs the resource and property more than the function's internals.

The place is built in two steps. Code deep inside a value (the resolver, the static checks)
only knows the path below the value it walks, so it raises with `path`; the caller that knows
which section the value belongs to adds `where` with `located()`. Paths stop at the first
intrinsic function: `Tags[0].Value` is useful, `UserData.Fn::Base64.Fn::Join[1][3]` is noise.
"""

from __future__ import annotations

from collections.abc import Sequence

from models.errors import InvalidInputError

PathPart = str | int


def format_path(path: Sequence[PathPart]) -> str:
    """`("Tags", 0, "Value")` -> `Tags[0].Value`."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


class TemplateError(InvalidInputError):
    """A template, or a value it resolves to, is wrong. The API answers 400 with `message`."""

    def __init__(
        self, detail: str, *, where: str | None = None, path: Sequence[PathPart] = ()
    ) -> None:
        self.detail = detail
        self.where = where
        self.path = tuple(path)
        super().__init__(self._compose())

    def _compose(self) -> str:
        if self.where and self.path:
            return f'{self.where} "{format_path(self.path)}": {self.detail}'
        if self.where:
            return f"{self.where}: {self.detail}"
        if self.path:
            return f'"{format_path(self.path)}": {self.detail}'
        return self.detail

    def _copy(self, *, where: str | None, path: tuple[PathPart, ...]) -> TemplateError:
        # Keep the subclass, so a ParameterError stays one when it gets a location.
        error = type(self).__new__(type(self))
        TemplateError.__init__(error, self.detail, where=where, path=path)
        return error

    def within(self, part: PathPart) -> TemplateError:
        """The same error one level further out: `within("Tags")` on `[0].Value`."""
        if self.where is not None:
            return self
        return self._copy(where=None, path=(part, *self.path))

    def located(self, where: str) -> TemplateError:
        """Name the section the path starts in, e.g. `Resource "Web": property`."""
        if self.where is not None:
            return self
        return self._copy(where=where, path=self.path)


class ParameterError(TemplateError):
    """A parameter value (given, remembered or default) that the template does not accept."""


def resource_where(name: str, field: str = "property") -> str:
    return f'Resource "{name}": {field}'
