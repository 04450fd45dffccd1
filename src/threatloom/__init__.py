"""threatloom: threat modeling as code.

    >>> from threatloom.model import load_model
    >>> from threatloom.engine import analyse
    >>> analysis = analyse(load_model("examples/online-pharmacy/model.yaml"))
"""

__version__ = "0.1.0"
