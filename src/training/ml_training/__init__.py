"""The training job: point-in-time training set -> validated model in MLflow."""
