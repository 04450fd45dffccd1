"""The threat model: schema, loading with located errors, look-ups and lint."""

from threatloom.model.loading import load_model, load_model_text
from threatloom.model.schema import Model

__all__ = ["Model", "load_model", "load_model_text"]
