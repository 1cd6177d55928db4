"""SageMaker pipeline definitions (one source), their parameters, and a local runner."""
