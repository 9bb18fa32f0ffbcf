"""Unpickling a Qdrant local folder's points, building nothing but qdrant-client's models.

Each point of a local-mode folder is a pickled ``PointStruct`` (and the sparse vectors it
holds): pydantic models, rebuilt by creating the class and setting its state. A pickle can
name any importable function instead and have it called, so the unpickler here accepts only
the data models of ``qdrant_client.http.models.models`` (pydantic models and enums: making
one runs no code of the pickle's choosing) and refuses anything else before it is called.
The folder still needs ``allow-pickle=yes``: this narrows what a trusted folder can do, it
does not make an untrusted one safe to open.
"""

from __future__ import annotations

import io
import pickle
from enum import Enum
from typing import Any

_MODELS = "qdrant_client.http.models.models"


class PointUnpicklingError(ValueError):
    """A stored point that is not one of qdrant-client's models, or not a pickle at all."""


class _PointUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module == _MODELS:
            from pydantic import BaseModel
            from qdrant_client.http.models import models

            found = getattr(models, name, None)
            if isinstance(found, type) and issubclass(found, (BaseModel, Enum)):
                return found
        raise PointUnpicklingError(
            f"it names {module}.{name}, which a Qdrant point never holds (refused, not run)"
        )


def unpickle_point(blob: bytes) -> Any:
    """The point a stored row holds; a PointUnpicklingError for anything else."""
    try:
        return _PointUnpickler(io.BytesIO(blob)).load()
    except PointUnpicklingError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, AttributeError) as err:
        raise PointUnpicklingError(f"it is not a readable pickle ({err})") from None
