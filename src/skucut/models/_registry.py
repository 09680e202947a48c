"""Model registry: architectures register under a name; create_model builds one by name."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_REGISTRY: dict[str, Callable[..., Any]] = {}


def register_model(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def decorator(factory: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} is already registered")
        _REGISTRY[name] = factory
        return factory

    return decorator


def list_models() -> list[str]:
    return sorted(_REGISTRY)


def create_model(name: str, **kwargs: Any) -> Any:
    try:
        factory = _REGISTRY[name]
    except KeyError:
        raise KeyError(
            f"unknown architecture {name!r}; valid names: {', '.join(list_models())}"
        ) from None
    return factory(**kwargs)
