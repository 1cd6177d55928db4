"""The batch inference job: champion model x latest features -> Kafka."""
