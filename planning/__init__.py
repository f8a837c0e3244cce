"""vaernes-planning: population, service demand, capacity and cost scenarios for the Værnes region."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("vaernes-planning")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
