"""The component kit: what every tier (and the bootstrap's AccountBootstrap) shares.

A tier is a `TierComponent` subclass that names its type token as `TYPE`, declares its
outputs as annotated class attributes (`pulumi.Output[...]`, or a plain value), builds its
children with `opts=self._child(...)` and ends its constructor with
`self._register_declared_outputs()`. The outputs registered are exactly the declared ones
(a declared output the constructor never set is an AttributeError), so the two cannot drift.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pulumi


def _is_output_annotation(annotation: Any) -> bool:
    """An output is any annotated value but a class constant or a resource handed to
    siblings for `depends_on` (Network.internet_access)."""
    text = annotation if isinstance(annotation, str) else repr(annotation)
    return "ClassVar" not in text and "Resource" not in text


class TierComponent(pulumi.ComponentResource):
    """One tier: type token `TYPE`, child options, outputs registered from the declarations."""

    TYPE: ClassVar[str]

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None,
                 protect: bool = False) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self._name = name
        self._protect = protect

    def _child(self, stateful: bool = False, **options: Any) -> pulumi.ResourceOptions:
        """Options for a child: parented here; a stateful child is protected when asked."""
        if stateful:
            options.setdefault("protect", self._protect)
        return pulumi.ResourceOptions(parent=self, **options)

    @classmethod
    def declared_outputs(cls) -> tuple[str, ...]:
        """The names of the class's annotated public outputs, in declaration order."""
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for attribute, annotation in vars(klass).get("__annotations__", {}).items():
                if (not attribute.startswith("_") and _is_output_annotation(annotation)
                        and attribute not in names):
                    names.append(attribute)
        return tuple(names)

    def _register_declared_outputs(self) -> None:
        self.register_outputs({name: getattr(self, name) for name in self.declared_outputs()})
