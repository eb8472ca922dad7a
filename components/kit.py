"""The component kit: what every tier (and the bootstrap's AccountBootstrap) shares.

A tier is a `TierComponent` subclass that names its type token as `TYPE`, declares its
outputs as annotated class attributes (`pulumi.Output[...]`, or a plain value) and builds
its children in `_build(name, args)` with `opts=self._child(...)`. Every tier is
constructed as `Tier(name, args, opts)`; afterwards the kit registers exactly the declared
outputs (one the tier never set is an AttributeError), so the two cannot drift.
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

    def __init__(self, name: str, args: Any,
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(self.TYPE, name, None, opts)
        self._name, self._args = name, args
        # Args that can protect stateful children say so with a `protect` field.
        self._protects_state: bool | None = getattr(args, "protect", None)
        self._build(name, args)
        self._register_declared_outputs()

    def _build(self, name: str, args: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must define _build(name, args)")

    def _child(self, stateful: bool = False, **options: Any) -> pulumi.ResourceOptions:
        """Options for a child: parented here; a stateful child is protected when asked."""
        if stateful:
            if self._protects_state is None:
                # A silent False here would leave production data unprotected.
                raise TypeError(f"{type(self).__name__}: a stateful child needs a `protect` "
                                f"field on the tier's args")
            options.setdefault("protect", bool(self._protects_state))
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
