"""Code shared by the ml-platform training and inference apps.

Feature group specs, the feature store (local and SageMaker backends with shared
point-in-time reads), settings, logging and the demo data generator.
"""

__version__ = "0.1.0"
